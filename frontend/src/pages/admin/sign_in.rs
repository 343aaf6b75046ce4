//! Admin → Sign-in: the company's identity provider (OpenID Connect), who
//! may still use a password, a test sign-in that shows what the provider
//! sends, and the SCIM token the provider provisions users with.

use gatehouse_shared::sso::{SsoSettings, SsoSettingsInput};
use leptos::prelude::*;

use crate::{
    admin_api,
    admin_page::{AdminPage, Loaded, load},
    components::{
        admin_form::{CheckField, FormFailure, TextField},
        admin_frame::AdminFrame,
        error_alert::ErrorAlert,
    },
};

fn words(text: &str) -> Vec<String> {
    text.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

#[component]
pub fn AdminSignInPage() -> impl IntoView {
    let page = AdminPage::new();
    let settings: Loaded<SsoSettings> = load(page.version, admin_api::sso_settings);
    // Kept here: the form is drawn again when the saved settings load.
    let saved = RwSignal::new(false);
    view! {
        <AdminFrame
            title="Sign-in"
            intro="Sign in with your company's identity provider (OpenID Connect): people and their groups come from it, and SCIM lets it create, update and deactivate users here. A deactivated user loses their sessions and their live access at once."
            page
        >
            <ErrorAlert message=settings.failure />
            {move || settings.items.get().map(|current| view! { <SignInForm current page saved /> })}
        </AdminFrame>
    }
}

#[component]
fn SignInForm(current: SsoSettings, page: AdminPage, saved: RwSignal<bool>) -> impl IntoView {
    let input = current.input.clone();
    let enabled = RwSignal::new(input.enabled);
    let display_name = RwSignal::new(input.display_name.clone());
    let issuer = RwSignal::new(input.issuer.clone());
    let client_id = RwSignal::new(input.client_id.clone());
    let client_secret = RwSignal::new(String::new());
    let scopes = RwSignal::new(input.scopes.join(" "));
    let groups_claim = RwSignal::new(input.groups_claim.clone());
    let admin_group = RwSignal::new(input.admin_group.clone().unwrap_or_default());
    let passwords_off = RwSignal::new(!input.password_login);
    let break_glass = RwSignal::new(input.break_glass_admins.join(", "));
    let failure = FormFailure::new();
    let save = Action::new_local(|input: &SsoSettingsInput| {
        let input = input.clone();
        async move { admin_api::save_sso(&input).await }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(_)) => {
            failure.0.set(None);
            client_secret.set(String::new());
            saved.set(true);
            page.version.update(|v| *v += 1);
        }
        Some(Err(error)) => {
            saved.set(false);
            failure.0.set(Some(error));
        }
        None => {}
    });
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        saved.set(false);
        let secret = client_secret.get_untracked();
        let admin = admin_group.get_untracked();
        save.dispatch_local(SsoSettingsInput {
            enabled: enabled.get_untracked(),
            display_name: display_name.get_untracked(),
            issuer: issuer.get_untracked(),
            client_id: client_id.get_untracked(),
            client_secret: (!secret.is_empty()).then_some(secret),
            scopes: words(&scopes.get_untracked()),
            groups_claim: groups_claim.get_untracked(),
            admin_group: (!admin.trim().is_empty()).then(|| admin.trim().to_owned()),
            password_login: !passwords_off.get_untracked(),
            break_glass_admins: words(&break_glass.get_untracked()),
        });
    };
    const FIELDS: &[&str] = &[
        "enabled",
        "display_name",
        "issuer",
        "client_id",
        "client_secret",
        "scopes",
        "groups_claim",
        "admin_group",
        "password_login",
        "break_glass_admins",
    ];
    let secret_hint = if current.client_secret_set {
        "A secret is stored (never shown). Leave empty to keep it."
    } else {
        "None stored yet."
    };
    view! {
        <form class="panel stack sign-in-settings" on:submit=on_submit novalidate>
            <h2>"Identity provider"</h2>
            <ErrorAlert message=failure.elsewhere(FIELDS) />
            <CheckField id="sso-enabled" label="Offer sign-in with the identity provider" checked=enabled />
            <TextField id="sso-name" label="Name on the button" value=display_name error=failure.at("display_name")
                hint="\"Sign in with …\", e.g. Okta, Entra ID, Google, Keycloak" />
            <TextField id="sso-issuer" label="Issuer URL" value=issuer error=failure.at("issuer")
                hint="Its /.well-known/openid-configuration is read, e.g. https://example.okta.com" />
            <TextField id="sso-client-id" label="Client ID" value=client_id error=failure.at("client_id") />
            <TextField id="sso-client-secret" label="Client secret" value=client_secret kind="password"
                error=failure.at("client_secret") hint=secret_hint />
            <p class="muted">"Register this redirect URL at the provider: " <code>{current.redirect_url.clone()}</code></p>
            <TextField id="sso-scopes" label="Scopes besides openid" value=scopes error=failure.at("scopes")
                hint="Separated by spaces, e.g. email profile groups" />
            <TextField id="sso-groups-claim" label="Groups claim" value=groups_claim error=failure.at("groups_claim")
                hint="The claim that lists the user's groups; they replace the user's provider groups at each sign-in" />
            <TextField id="sso-admin-group" label="Admin group" value=admin_group error=failure.at("admin_group")
                hint="Members of this provider group are admins; others are not. Empty: admin rights stay as set here." />
            <h2>"Passwords"</h2>
            <CheckField id="sso-passwords-off" label="Turn local passwords off (the provider's MFA and policies apply)" checked=passwords_off />
            <TextField id="sso-break-glass" label="Break-glass admins" value=break_glass error=failure.at("break_glass_admins")
                hint="Usernames that keep their password when passwords are off, separated by commas" />
            <div class="form-actions">
                <button type="submit" class="button button-primary" disabled=move || save.pending().get()>"Save"</button>
                <a class="button" href="/api/v1/admin/sso/test" rel="external">"Test sign-in"</a>
                <span class="muted" role="status">{move || saved.get().then_some("Saved.")}</span>
            </div>
        </form>
        <ScimPanel current />
    }
}

#[component]
fn ScimPanel(current: SsoSettings) -> impl IntoView {
    let token_set = RwSignal::new(current.scim_token_set);
    let shown = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<String>);
    let rotate = Action::new_local(|(): &()| admin_api::rotate_scim_token());
    let remove = Action::new_local(|(): &()| admin_api::delete_scim_token());
    Effect::new(move |_| match rotate.value().get() {
        Some(Ok(created)) => {
            token_set.set(true);
            shown.set(Some(created.token));
            failure.set(None);
        }
        Some(Err(error)) => failure.set(Some(error.message)),
        None => {}
    });
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(())) => {
            token_set.set(false);
            shown.set(None);
            failure.set(None);
        }
        Some(Err(error)) => failure.set(Some(error.message)),
        None => {}
    });
    view! {
        <section class="panel stack scim-settings">
            <h2>"SCIM provisioning"</h2>
            <p class="muted">"Give the provider this base URL and a token: " <code>{current.scim_base_url.clone()}</code></p>
            <ErrorAlert message=failure />
            <p>{move || if token_set.get() { "A SCIM token is set." } else { "SCIM is off: no token." }}</p>
            {move || shown.get().map(|token| view! {
                <div class="alert alert-success" role="status">
                    <p>"Copy the token now: it is not shown again."</p>
                    <code class="secret scim-token">{token}</code>
                </div>
            })}
            <div class="form-actions">
                <button type="button" class="button" on:click=move |_| { rotate.dispatch_local(()); }>
                    {move || if token_set.get() { "Rotate token" } else { "Make a token" }}
                </button>
                {move || token_set.get().then(|| view! {
                    <button type="button" class="button button-danger" on:click=move |_| { remove.dispatch_local(()); }>
                        "Turn SCIM off"
                    </button>
                })}
            </div>
        </section>
    }
}
