//! A message the user must see (a failed call, a refused action), announced
//! to screen readers as it appears.

use leptos::prelude::*;

#[component]
pub fn ErrorAlert(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message.get().map(|message| {
            view! {
                <p class="alert" role="alert">
                    {message}
                </p>
            }
        })
    }
}
