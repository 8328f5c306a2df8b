/**
 * The login form: an admin token from API_TOKENS. Works without JavaScript.
 */
import { html } from "hono/html";
import { type Html, page } from "./layout.ts";

export function loginPage(
  nonce: string,
  message?: { kind: "error" | "notice"; text: string },
): Html {
  const box = message ? html`<p class="box ${message.kind}" role="status">${message.text}</p>` : "";
  return page({
    title: "Log in",
    nonce,
    body: html`<section class="login">
  <h2>Log in</h2>
  ${box}
  <form method="post" action="/admin/login">
    <label for="token">Admin token (an <code>admin:</code> entry of API_TOKENS)</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required
      autofocus>
    <p><button type="submit">Log in</button></p>
  </form>
</section>`,
  });
}
