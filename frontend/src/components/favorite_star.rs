//! The favorite star of a request: a toggle button, shown only where the
//! request may be starred (or already is).

use gatehouse_shared::requests::AccessRequest;
use leptos::prelude::*;

use crate::{api, refresh::use_refresh};

#[component]
pub fn FavoriteStar(
    request: AccessRequest,
    #[prop(into)] failure: RwSignal<Option<String>>,
) -> impl IntoView {
    let refresh = use_refresh();
    let id = request.id;
    let starred = request.is_favorite;
    let shown = request.actions.favorite || request.is_favorite;
    let toggle = Action::new_local(move |favorite: &bool| {
        let favorite = *favorite;
        async move { api::set_favorite(id, favorite).await }
    });
    Effect::new(move |_| match toggle.value().get() {
        Some(Ok(())) => refresh.bump(),
        Some(Err(error)) => failure.set(Some(error.message)),
        None => {}
    });
    let label = if starred {
        format!("Remove request {id} from favorites")
    } else {
        format!("Add request {id} to favorites")
    };
    shown.then(|| {
        view! {
            <button
                type="button"
                class="icon-button star"
                class:starred=starred
                aria-pressed=starred.to_string()
                aria-label=label
                title=if starred { "Favorite" } else { "Mark as favorite" }
                disabled=move || toggle.pending().get()
                on:click=move |_| {
                    toggle.dispatch_local(!starred);
                }
            >
                <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                    <path
                        d="M12 3l2.7 5.6 6.1.9-4.4 4.3 1 6.1L12 17l-5.4 2.9 1-6.1-4.4-4.3 6.1-.9z"
                        stroke="currentColor"
                        stroke-width="1.6"
                        stroke-linejoin="round"
                    />
                </svg>
            </button>
        }
    })
}
