//! The one table every Admin list uses: rows of plain cells built by each
//! page, with Edit and Delete at the end of each row. One component for all
//! lists keeps the portal small.

use leptos::prelude::*;

use crate::{admin_page::AdminPage, components::admin_form::RowActions};

/// One cell of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    /// Machine words: paths, kinds, actions.
    Code(String),
    /// Long text that wraps.
    Long(String),
    /// Long text with a quieter line under it.
    Noted(String, Option<String>),
    /// A link (href, text).
    Link(String, String),
    /// Short text with a warning tag under it, when there is one.
    Warned(String, Option<String>),
}

/// One row: the item's id and name (for Edit / Delete), and its cells; the
/// first cell heads the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: i64,
    pub name: String,
    pub cells: Vec<Cell>,
}

/// Loading, empty (with what to do), or the table.
#[component]
pub fn AdminTable(
    #[prop(into)] rows: Signal<Option<Vec<Row>>>,
    headers: &'static [&'static str],
    empty: &'static str,
    page: AdminPage,
    /// Rows have Edit and Delete.
    #[prop(optional)]
    read_only: bool,
    /// The table's accessible name, when it needs one.
    #[prop(optional)]
    label: Option<&'static str>,
) -> impl IntoView {
    move || {
        match rows.get() {
        None => view! { <p class="loading" role="status">"Loading…"</p> }.into_any(),
        Some(rows) if rows.is_empty() => view! { <p class="empty">{empty}</p> }.into_any(),
        Some(rows) => view! {
            <div class="table-scroll">
                <table class="admin-table" aria-label=label>
                    <thead>
                        <tr>
                            {headers.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view()}
                            {(!read_only).then(|| view! {
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            })}
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|row| {
                                let mut cells = row.cells.into_iter().zip(headers.iter().copied());
                                let first = cells.next().map(|(cell, _)| view! { <th scope="row">{cell_view(cell)}</th> });
                                view! {
                                    <tr>
                                        {first}
                                        {cells
                                            .map(|(cell, header)| {
                                                let class = cell_class(&cell);
                                                // Phones show each cell under its column's name.
                                                view! { <td class=class data-label=header>{cell_view(cell)}</td> }
                                            })
                                            .collect_view()}
                                        {(!read_only).then(|| view! {
                                            <td><RowActions id=row.id name=row.name page /></td>
                                        })}
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any(),
    }
    }
}

fn cell_class(cell: &Cell) -> &'static str {
    match cell {
        Cell::Long(_) | Cell::Noted(..) => "cell-long",
        _ => "",
    }
}

fn cell_view(cell: Cell) -> AnyView {
    match cell {
        Cell::Text(text) | Cell::Long(text) => text.into_any(),
        Cell::Code(text) => view! { <code>{text}</code> }.into_any(),
        Cell::Noted(text, note) => view! {
            {text}
            {note.map(|note| view! { <span class="cell-note muted">{note}</span> })}
        }
        .into_any(),
        Cell::Link(href, text) => view! { <a href=href>{text}</a> }.into_any(),
        Cell::Warned(text, warning) => view! {
            {text}
            {warning.map(|warning| view! { <span class="tag tag-warning cell-warning">{warning}</span> })}
        }
        .into_any(),
    }
}
