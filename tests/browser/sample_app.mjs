// The sample web app in a real browser: Debian's chromium, headless, driven by playwright-core.
// Each step is one thing a person does; a screenshot of each page is kept in artifacts/.
//   node sample_app.mjs http://127.0.0.1:APP_PORT http://127.0.0.1:AUTHORITY_PORT
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const app = process.argv[2];
const authority = process.argv[3];
const artifacts = new URL('./artifacts/', import.meta.url).pathname;
mkdirSync(artifacts, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'onbehalf-chromium-'));

const launch = () => chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--no-first-run', '--disable-quic'],
});

// Chromium on a busy two-core machine has once exited while starting (CI saw the first
// navigation fail with "Target page, context or browser has been closed"): a browser that does
// not show a blank page is started once more, and the log says so.
let context = await launch();
let page = context.pages()[0] ?? await context.newPage();
try {
  await page.goto('about:blank');
} catch (e) {
  console.log(`browser: Chromium did not open a blank page (${e.message.split('\n')[0]}); starting it again`);
  await context.close().catch(() => {});
  context = await launch();
  page = context.pages()[0] ?? await context.newPage();
  await page.goto('about:blank');
}
page.setDefaultTimeout(15000);

let shots = 0;
const shot = (name) => page.screenshot({ path: `${artifacts}${String(++shots).padStart(2, '0')}-${name}.png`, fullPage: true });
let failed = false;
async function step(name, body) {
  process.stdout.write(`browser: ${name} ... `);
  try {
    await body();
    console.log('ok');
  } catch (e) {
    failed = true;
    console.log('FAILED');
    console.log(e.stack ?? e);
    await shot('failed').catch(() => {});
    throw e;
  }
}
const text = async () => page.locator('main').innerText();
const consentIfAsked = async (name) => {
  await page.waitForSelector('button[value=accept]');
  await shot(name);
  await page.click('button[value=accept]');
};

try {
  await step('signs in with a password, consents, and lands on the profile with its data', async () => {
    await page.goto(`${app}/profile`);
    await page.waitForSelector('input[name=password]');
    await shot('sign-in');
    await page.fill('input[name=username]', 'ada@contoso.onmicrosoft.com');
    await page.fill('input[name=password]', 'ada-dev-password');
    await page.click('button[type=submit]');
    await consentIfAsked('consent');
    await page.waitForURL(`${app}/profile`);
    await shot('profile');
    const shown = await text();
    assert.match(shown, /Ada Lovelace/);
    assert.match(shown, /access_as_user/);
    // The stylesheet is a file of its own: the page is styled by it.
    const headerColour = await page.evaluate(() => getComputedStyle(document.querySelector('header')).backgroundColor);
    assert.equal(headerColour, 'rgb(30, 58, 138)');
    const stylesheet = await page.evaluate(() => document.querySelector('link[rel=stylesheet]').href);
    const served = await page.request.get(stylesheet);
    assert.equal(served.status(), 200);
    assert.match(served.headers()['cache-control'], /max-age=31536000, immutable/);
  });

  await step('opens Emails: asked to consent to Mail.Read, then sees the messages', async () => {
    await page.goto(`${app}/emails`);
    await consentIfAsked('consent-mail');
    await page.waitForURL(`${app}/emails`);
    await shot('emails');
    assert.match(await text(), /Your latest 10 messages/);
  });

  await step('creates, renames, finishes and deletes a todo', async () => {
    await page.goto(`${app}/todos`);
    await consentIfAsked('consent-todos');
    await page.waitForURL(`${app}/todos`);
    await page.fill('form[action="/todos"] input[name=title]', 'Try onbehalf in a browser');
    await page.click('form[action="/todos"] button');
    await page.waitForSelector('text=Try onbehalf in a browser');
    await shot('todo-created');
    await page.fill('form[action$="/rename"] input[name=title]', 'Tried onbehalf in a browser');
    await page.click('form[action$="/rename"] button');
    await page.waitForSelector('text=Tried onbehalf in a browser');
    await page.click('form[action$="/done"] button');
    await page.waitForSelector('td:has-text("✔")');
    await shot('todo-done');
    await page.click('form[action$="/delete"] button');
    await page.waitForURL(`${app}/todos`);
    assert.doesNotMatch(await text(), /Tried onbehalf in a browser/);
  });

  await step('calls two APIs at once on the parallel page', async () => {
    await page.goto(`${app}/parallel`);
    await shot('parallel');
    assert.match(await text(), /From Graph: Ada Lovelace/);
  });

  await step('opens Overview: consents to the sample web API, which calls the sample API and Graph on her behalf', async () => {
    await page.goto(`${app}/overview`);
    await consentIfAsked('consent-overview');
    await page.waitForURL(`${app}/overview`);
    await shot('overview');
    const shown = await text();
    assert.match(shown, /The sample web API saw\s+Ada Lovelace/);
    assert.match(shown, /Graph saw\s+Ada Lovelace/);
  });

  await step('opens Inbox after the sample web API gained Mail.Read: its consent challenge comes back through the app to her', async () => {
    // An administrator adds Mail.Read to the sample web API's registration: nobody consented to it yet.
    const added = await fetch(`${authority}/admin/required-permission`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'client_id=44444444-4444-4444-4444-444444444444&resource=https%3A%2F%2Fgraph.microsoft.com&scope=mail.read',
    });
    assert.equal(added.status, 200);
    await page.goto(`${app}/inbox`);
    await page.waitForSelector('button[value=accept]');
    // Asked for the sample web API, not for the app itself (combined consent).
    assert.match(await page.content(), /onbehalf sample web API<\/strong>, an API it calls, to act on behalf of[^]*<code>https:\/\/graph\.microsoft\.com\/mail\.read/);
    await consentIfAsked('consent-inbox');
    await page.waitForURL(`${app}/inbox`);
    await shot('inbox');
    assert.match(await text(), /The sample web API read \d+ messages for Ada Lovelace/);
  });

  await step('adds a todo on the live page, where the server asks for consent and the page resumes after it', async () => {
    // A second user, who has not consented to Todo.ReadWrite yet: sign out, sign in as Grace.
    await page.goto(`${app}/MicrosoftIdentity/Account/SignOut`);
    await page.waitForSelector('text=You have signed out');
    await page.goto(`${app}/live/todos`);
    await page.waitForSelector('input[name=password]');
    await page.fill('input[name=username]', 'grace@contoso.onmicrosoft.com');
    await page.fill('input[name=password]', 'grace-dev-password');
    await page.click('button[type=submit]');
    await consentIfAsked('consent-grace');
    await page.waitForURL(`${app}/live/todos`);
    await page.waitForSelector('#status:has-text("Up to date")');
    await shot('live-todos');
    await page.fill('#title', 'Added live');
    await page.click('#add button');
    await consentIfAsked('live-consent'); // the server told the page to go here
    await page.waitForURL(`${app}/live/todos`);
    await page.waitForSelector('#todos li:has-text("Added live")'); // resumed: the pending todo was sent again
    await shot('live-todos-resumed');
  });

  await step('a page of another site cannot sign the user out: its link asks first, its form is refused', async () => {
    // The attacker's page is served at another origin on loopback (localhost, not 127.0.0.1): a
    // different site, as the browser sees it. Nothing listens there; the browser is handed the page.
    const attacker = 'http://localhost:9/prize';
    const pages = {
      [`${attacker}-link`]: `<a id="go" href="${app}/MicrosoftIdentity/Account/SignOut">Claim your prize</a>`,
      [`${attacker}-form`]: `<form id="f" method="post" action="${app}/MicrosoftIdentity/Account/SignOut"></form>
                             <script>document.getElementById('f').submit()</script>`,
    };
    await page.route(`${attacker}-*`, route => route.fulfill({ contentType: 'text/html', body: pages[route.request().url()] }));
    const stillSignedIn = async () => {
      await page.goto(`${app}/profile`);
      assert.equal(page.url(), `${app}/profile`, 'the user was signed out by another site');
    };

    await page.goto(`${attacker}-link`);
    await page.click('#go'); // a top-level navigation: SameSite=Lax lets the session cookie come along
    await page.waitForSelector('text=Do you want to sign out of this site?');
    await shot('cross-site-sign-out-asks');
    await stillSignedIn();

    await page.goto(`${attacker}-form`);
    await page.waitForSelector('text=This request came from another site');
    await shot('cross-site-sign-out-refused');
    await stillSignedIn();
    await page.unroute(`${attacker}-*`);
  });

  await step('signs out, and a protected page then asks to sign in again', async () => {
    await page.goto(`${app}/MicrosoftIdentity/Account/SignOut`);
    await page.waitForSelector('text=You have signed out');
    await shot('signed-out');
    await page.goto(`${app}/profile`);
    await page.waitForSelector('input[name=password]');
  });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(failed ? 'browser: failed' : `browser: all steps passed; screenshots in ${artifacts}`);
