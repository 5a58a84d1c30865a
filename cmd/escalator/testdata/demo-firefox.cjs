// Drives the demo dashboard in Firefox through WebDriver BiDi
// (puppeteer-core), for TestDemoInFirefox. The Go test passes one JSON
// argument: the page URL, where to save a screenshot, and the page
// expressions it shares with the Chromium test. Exit 0 and a last line
// "ok" when every step held; otherwise the step that failed, on stderr.
'use strict';
const puppeteer = require('puppeteer-core');

const cfg = JSON.parse(process.argv[2]);
const problems = [];

async function main() {
  const browser = await puppeteer.launch({
    browser: 'firefox', executablePath: cfg.firefox, headless: true, protocol: 'webDriverBiDi',
    args: ['--width=1600', '--height=1000'],
    extraPrefsFirefox: {'network.proxy.type': 0, 'app.update.enabled': false, 'browser.shell.checkDefaultBrowser': false},
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({width: 1600, height: 1000});
    page.on('console', m => { if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on('pageerror', e => problems.push('page error: ' + e.message));
    const val = expr => page.evaluate(expr);
    const wait = async (what, expr, ms) => {
      try {
        await page.waitForFunction(expr, {timeout: ms, polling: 100});
      } catch (e) {
        throw new Error(`waited ${ms} ms for ${what}: ${e.message}`);
      }
      console.log('seen: ' + what);
    };
    const status = `document.getElementById("status").textContent`;

    await page.goto(cfg.url, {waitUntil: 'load'});
    await wait('eight nodes', `document.querySelectorAll("[data-node]").length === 8`, 10000);
    await wait('the upgrade to start on its own', `${status} === "running"`, 10000);
    await wait('a node to leave service', `[...document.querySelectorAll("[data-node]")].some(n => n.dataset.state !== "normal")`, 10000);
    const first = await val(cfg.signature);
    await wait('the page to change', `(${cfg.signature}) !== ${JSON.stringify(first)}`, 15000);

    // Pause and resume with the space bar, as a presenter would.
    await val(`document.activeElement && document.activeElement.blur()`);
    await page.keyboard.press(' ');
    await wait('paused', `${status} === "paused"`, 5000);
    await new Promise(r => setTimeout(r, 500)); // a message already on the wire lands
    const still = await val(cfg.signature);
    for (let i = 0; i < 15; i++) {
      await new Promise(r => setTimeout(r, 100));
      if (await val(cfg.signature) !== still) throw new Error('the page changed while paused');
    }
    console.log('seen: nothing moved while paused');
    await page.keyboard.press(' ');
    await wait('running again', `${status} === "running"`, 5000);

    // A fault from its button, and the orchestrator's reaction after it.
    // A button is disabled while a control request (the resume) waits for
    // its answer, which can come after the page already shows the run
    // going: a click on it then does nothing.
    await wait('the fault button to be enabled', `!document.getElementById("fault-vnfm-silent").disabled`, 15000);
    await page.click('#fault-vnfm-silent');
    await wait('the injected silence in the sequence', `(${cfg.faultSeq}) > 0`, 5000);
    await wait('the VNFM to ignore a notification', `(${cfg.ignoredSeq}) > (${cfg.faultSeq})`, 20000);
    await page.screenshot({path: cfg.shot});
  } finally {
    await browser.close();
  }
  if (problems.length > 0) throw new Error('the page reported problems:\n' + problems.join('\n'));
  console.log('ok');
}

main().catch(e => { console.error(e.message); process.exit(1); });
