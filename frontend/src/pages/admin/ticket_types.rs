//! Admin → Ticket Types: the ticket systems requesters choose from where an
//! access flow asks for a ticket (Jira, ServiceNow…).

use gatehouse_shared::admin::{TicketType, TicketTypeInput};
use leptos::prelude::*;

use crate::{
    admin_api::{self, Collection},
    admin_page::{AdminPage, Loaded, editing_item, load},
    components::{
        admin_form::{Editor, FormFailure, SaveAction, TextField},
        admin_frame::AdminFrame,
        admin_table::{AdminTable, Cell, Row},
        error_alert::ErrorAlert,
    },
};

#[component]
pub fn AdminTicketTypesPage() -> impl IntoView {
    let page = AdminPage::new();
    let list: Loaded<Vec<TicketType>> = load(page.version, admin_api::ticket_types);
    let editing = editing_item(page, list.items, |t: &TicketType| t.id);
    view! {
        <AdminFrame
            title="Ticket Types"
            intro="The ticket systems requesters choose from when an access flow asks for a ticket. Requests keep the name they were made with."
            new_label="New ticket type"
            collection=Collection::TicketTypes
            page
        >
            <ErrorAlert message=list.failure />
            <AdminTable
                rows=Signal::derive(move || {
                    list.items.get().map(|items| {
                        items
                            .into_iter()
                            .map(|t| Row { id: t.id, name: t.name.clone(), cells: vec![Cell::Text(t.name)] })
                            .collect()
                    })
                })
                headers=&["Ticket type"]
                empty="No ticket types yet. Add one (e.g. Jira) before a flow asks for a ticket."
                page
            />
            {move || editing.get().map(|existing| view! { <TicketTypeEditor existing page /> })}
        </AdminFrame>
    }
}

#[component]
fn TicketTypeEditor(existing: Option<TicketType>, page: AdminPage) -> impl IntoView {
    let id = existing.as_ref().map(|t| t.id);
    let name = RwSignal::new(existing.map(|t| t.name).unwrap_or_default());
    let failure = FormFailure::new();
    let save = SaveAction::new(Collection::TicketTypes, id, page, failure);
    let on_save = Callback::new(move |()| {
        save.dispatch(&TicketTypeInput {
            name: name.get_untracked(),
        });
    });
    view! {
        <Editor
            title=if id.is_some() { "Rename ticket type" } else { "New ticket type" }
            page
            failure
            fields=&["name"]
            pending=save.pending()
            on_save
        >
            <TextField id="ticket-type-name" label="Name" value=name error=failure.at("name") required=true />
        </Editor>
    }
}
