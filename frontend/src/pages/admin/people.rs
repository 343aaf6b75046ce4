//! Admin → Users and Groups: who can log in, who is an admin, and the groups
//! access flows name as grantees and approvers.

use gatehouse_shared::admin::{Group, GroupInput, User, UserInput};
use leptos::prelude::*;

use crate::{
    admin_api::{self, Collection},
    admin_page::{AdminPage, Loaded, editing_item, load},
    components::{
        admin_form::{CheckField, Editor, FormFailure, SaveAction, TextField},
        admin_frame::AdminFrame,
        admin_table::{AdminTable, Cell, Row},
        error_alert::ErrorAlert,
        field_error::FieldError,
        multi_select::{Choice, MultiSelect},
    },
};

/// Names of the ids found in `all`, joined for a table cell.
fn names_of<T>(ids: &[i64], all: &[T], id: fn(&T) -> i64, name: fn(&T) -> &str) -> String {
    ids.iter()
        .filter_map(|wanted| all.iter().find(|item| id(item) == *wanted).map(name))
        .collect::<Vec<_>>()
        .join(", ")
}

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let page = AdminPage::new();
    let users: Loaded<Vec<User>> = load(page.version, admin_api::users);
    let groups: Loaded<Vec<Group>> = load(page.version, admin_api::groups);
    let editing = editing_item(page, users.items, |u: &User| u.id);
    view! {
        <AdminFrame
            title="Users"
            intro="Who can log in. Admins manage the catalog, access flows, users and groups; group membership is set on Groups."
            new_label="New user"
            collection=Collection::Users
            page
        >
            <ErrorAlert message=users.failure />
            <AdminTable
                rows=Signal::derive(move || {
                    let all_groups = groups.items.get().unwrap_or_default();
                    users.items.get().map(|items| {
                        items
                            .into_iter()
                            .map(|u| Row {
                                id: u.id,
                                name: u.username.clone(),
                                cells: vec![
                                    Cell::Text(u.username),
                                    Cell::Text(u.display_name),
                                    Cell::Text(u.email),
                                    Cell::Text(if u.is_admin { "Admin" } else { "User" }.to_owned()),
                                    Cell::Text(names_of(&u.group_ids, &all_groups, |g| g.id, |g| &g.name)),
                                    Cell::Text(
                                        match (u.active, u.from_provider) {
                                            (false, _) => "Deactivated by the identity provider",
                                            (true, true) => "Identity provider",
                                            (true, false) => "Local",
                                        }
                                        .to_owned(),
                                    ),
                                ],
                            })
                            .collect()
                    })
                })
                headers=&["Username", "Name", "Email", "Role", "Groups", "Account"]
                empty="No users."
                page
            />
            {move || editing.get().map(|existing| view! { <UserEditor existing page /> })}
        </AdminFrame>
    }
}

#[component]
fn UserEditor(existing: Option<User>, page: AdminPage) -> impl IntoView {
    let id = existing.as_ref().map(|u| u.id);
    let text =
        |get: fn(&User) -> String| RwSignal::new(existing.as_ref().map(get).unwrap_or_default());
    let username = text(|u| u.username.clone());
    let display_name = text(|u| u.display_name.clone());
    let email = text(|u| u.email.clone());
    let password = RwSignal::new(String::new());
    let is_admin = RwSignal::new(existing.as_ref().is_some_and(|u| u.is_admin));
    let failure = FormFailure::new();
    let save = SaveAction::new(Collection::Users, id, page, failure);
    let on_save = Callback::new(move |()| {
        save.dispatch(&UserInput {
            username: username.get_untracked(),
            display_name: display_name.get_untracked(),
            email: email.get_untracked(),
            is_admin: is_admin.get_untracked(),
            password: Some(password.get_untracked()).filter(|p| !p.is_empty()),
        });
    });
    view! {
        <Editor
            title=if id.is_some() { "Edit user" } else { "New user" }
            page
            failure
            fields=&["username", "display_name", "email", "is_admin", "password"]
            pending=save.pending()
            on_save
        >
            <TextField id="user-username" label="Username" value=username error=failure.at("username") required=true />
            <TextField id="user-display-name" label="Display name" value=display_name error=failure.at("display_name") required=true />
            <TextField id="user-email" label="Email" value=email error=failure.at("email") kind="email" required=true />
            <TextField
                id="user-password"
                label="Password"
                value=password
                error=failure.at("password")
                kind="password"
                hint=if id.is_some() {
                    "Leave empty to keep the current password. A new one signs the user out everywhere."
                } else {
                    "At least 8 characters."
                }
            />
            <div>
                <CheckField id="user-admin" label="Admin" checked=is_admin />
                <FieldError id="user-admin-error".to_owned() message=failure.at("is_admin") />
            </div>
        </Editor>
    }
}

#[component]
pub fn AdminGroupsPage() -> impl IntoView {
    let page = AdminPage::new();
    let groups: Loaded<Vec<Group>> = load(page.version, admin_api::groups);
    let users: Loaded<Vec<User>> = load(page.version, admin_api::users);
    let editing = editing_item(page, groups.items, |g: &Group| g.id);
    let user_choices = Signal::derive(move || {
        users
            .items
            .get()
            .unwrap_or_default()
            .into_iter()
            .map(|u| Choice {
                value: u.id.to_string(),
                label: u.display_name,
            })
            .collect::<Vec<_>>()
    });
    view! {
        <AdminFrame
            title="Groups"
            intro="Groups of users, named by access flows as who may request and who approves."
            new_label="New group"
            collection=Collection::Groups
            page
        >
            <ErrorAlert message=groups.failure />
            <AdminTable
                rows=Signal::derive(move || {
                    let all_users = users.items.get().unwrap_or_default();
                    groups.items.get().map(|items| {
                        items
                            .into_iter()
                            .map(|g| Row {
                                id: g.id,
                                name: g.name.clone(),
                                cells: vec![
                                    Cell::Text(g.name),
                                    Cell::Long(names_of(&g.member_ids, &all_users, |u| u.id, |u| &u.display_name)),
                                ],
                            })
                            .collect()
                    })
                })
                headers=&["Name", "Members"]
                empty="No groups yet. Add one with New group."
                page
            />
            {move || editing.get().map(|existing| view! { <GroupEditor existing page user_choices /> })}
        </AdminFrame>
    }
}

#[component]
fn GroupEditor(
    existing: Option<Group>,
    page: AdminPage,
    user_choices: Signal<Vec<Choice>>,
) -> impl IntoView {
    let id = existing.as_ref().map(|g| g.id);
    let name = RwSignal::new(
        existing
            .as_ref()
            .map(|g| g.name.clone())
            .unwrap_or_default(),
    );
    let members = RwSignal::new(
        existing
            .map(|g| g.member_ids.iter().map(i64::to_string).collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    let failure = FormFailure::new();
    let save = SaveAction::new(Collection::Groups, id, page, failure);
    let on_save = Callback::new(move |()| {
        save.dispatch(&GroupInput {
            name: name.get_untracked(),
            member_ids: members
                .with_untracked(|m| m.iter().filter_map(|id| id.parse().ok()).collect()),
        });
    });
    view! {
        <Editor
            title=if id.is_some() { "Edit group" } else { "New group" }
            page
            failure
            fields=&["name", "member_ids"]
            pending=save.pending()
            on_save
        >
            <TextField id="group-name" label="Name" value=name error=failure.at("name") required=true />
            <div class="field">
                <MultiSelect
                    label="Members"
                    id="group-members"
                    choices=user_choices
                    chosen=members
                    on_change=Callback::new(move |chosen| members.set(chosen))
                />
                <FieldError id="group-members-error".to_owned() message=failure.at("member_ids") />
            </div>
        </Editor>
    }
}
