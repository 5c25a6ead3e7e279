import { html, type SafeHtml } from '@friendly-calculator/common';
import { STYLE_ELEMENT } from './admin-page';

export type SignInNotice = { kind: 'thanks' | 'sorry'; message: string };

/** The admin page's sign-in: one password field, nothing echoed back into the page. */
export function signInPage({ notice }: { notice: SignInNotice | undefined }): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Sign in · experiment admin · greetings</title>
        ${STYLE_ELEMENT}
      </head>
      <body>
        <header>greetings · experiment admin</header>
        <main>
          ${notice ? html`<p id="admin-notice" class="notice notice-${notice.kind}" role="status">${notice.message}</p>` : ''}
          <form method="post" action="/admin/sign-in">
            <section aria-labelledby="sign-in-title">
              <h1 id="sign-in-title">Sign in</h1>
              <p class="muted">
                The admin token is the <code>ADMIN_TOKEN</code> greetings runs with;
                <code>npm start</code> prints a sign-in link with a fresh one.
              </p>
              <p>
                <label
                  >Admin token
                  <input
                    type="password"
                    name="token"
                    id="token"
                    autocomplete="current-password"
                    required
                /></label>
                <button type="submit" id="sign-in">Sign in</button>
              </p>
            </section>
          </form>
          <p class="muted">
            Without signing in: <a href="/experiments">/experiments</a>,
            <a href="/experiments/current">/experiments/current</a> (JSON).
          </p>
        </main>
      </body>
    </html> `;
}
