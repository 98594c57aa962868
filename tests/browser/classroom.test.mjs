// The classroom experience in a real browser (headless Chromium through playwright-core): JupyterLab started the
// way `make lab` and the classroom image start it (kernel/lab.sh), token authentication on, notebook 01 opened, the
// bpgo kernel picked, its first cells run; the kernel must answer and a figure must render as an <img>. A
// screenshot is kept in .bpgo/artifacts/ (BPGO_ARTIFACTS to change). Needs `make setup` and tests/browser/install.sh;
// run with `make browser-test`.
// With BPGO_LAB_URL (http://host:port/) and BPGO_LAB_TOKEN set, it tests that running server instead of starting
// one: `make docker-test` points it at the classroom image's container (tests/docker/docker_test.sh).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const NOTEBOOK = "01_training_brain_dynamics_model.ipynb";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const ARTIFACTS = process.env.BPGO_ARTIFACTS || path.join(ROOT, ".bpgo", "artifacts");
const KERNEL_DISPLAY_NAME = "Go (bpgo)";
const EXTERNAL = process.env.BPGO_LAB_URL ? { url: process.env.BPGO_LAB_URL.replace(/\/?$/, "/"), token: process.env.BPGO_LAB_TOKEN || "" } : null;
// Read from the image's settings so that the two stay the same.
const CLASSROOM_NOTIFICATIONS = JSON.parse(fs.readFileSync(path.join(ROOT, "docker", "jupyterlab-overrides.json")))[
  "@jupyterlab/apputils-extension:notification"];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Starts kernel/lab.sh serving `rootDir` and resolves with {proc, url, token, log()} once it prints its URL.
async function startLab(rootDir, scratch) {
  const port = await freePort();
  const env = {
    ...process.env,
    // A clean Jupyter configuration: no user config may switch the token off or move the workspaces.
    JUPYTER_CONFIG_DIR: path.join(scratch, "config"),
    JUPYTERLAB_SETTINGS_DIR: path.join(scratch, "settings"),
    JUPYTERLAB_WORKSPACES_DIR: path.join(scratch, "workspaces"),
  };
  delete env.JUPYTER_TOKEN;
  // The classroom image's JupyterLab settings (docker/build-step.sh installs them as overrides): no news prompt.
  const notif = path.join(scratch, "settings", "@jupyterlab", "apputils-extension");
  fs.mkdirSync(notif, { recursive: true });
  fs.writeFileSync(path.join(notif, "notification.jupyterlab-settings"), JSON.stringify(CLASSROOM_NOTIFICATIONS));
  const proc = spawn("bash", [path.join(ROOT, "kernel", "lab.sh"), `--ServerApp.root_dir=${rootDir}`, "--no-browser",
    "--ip=127.0.0.1", `--port=${port}`, "--ServerApp.port_retries=0"], { env, detached: true });
  let out = "";
  let found = false;
  const re = new RegExp(`(http://127\\.0\\.0\\.1:${port}/)lab\\?token=([0-9a-f]+)`);
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`JupyterLab did not print its URL in 120 s:\n${out}`)), 120_000);
    const onData = (chunk) => {
      out += chunk;
      const m = out.match(re);
      if (m && !found) {
        found = true;
        clearTimeout(timer);
        // Jupyter prints its URL a moment before the socket takes connections (seen under load):
        // wait until it answers at all.
        untilReachable(m[1]).then(() => resolve({ proc, url: m[1], token: m[2], log: () => out }),
          (e) => reject(new Error(`${e.message}:\n${out}`)));
      }
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`kernel/lab.sh exited with status ${code}:\n${out}`));
    });
  });
}

// Resolves once a GET of url gets any HTTP answer; rejects after 60 s of refused connections.
async function untilReachable(url) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await fetch(url, { redirect: "manual" });
      return;
    } catch (e) {
      if (Date.now() > deadline) {
        throw new Error(`JupyterLab printed ${url} but refused connections for 60 s (${e.cause?.code || e.message})`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function stopLab(lab) {
  if (lab && lab.proc.exitCode === null) {
    try {
      process.kill(-lab.proc.pid, "SIGTERM"); // its process group: jupyter and the kernels it started
    } catch {
      /* already gone */
    }
  }
}

test("classroom: JupyterLab runs notebook 01 on the bpgo kernel in Chromium", { timeout: 600_000 }, async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} not found: run tests/browser/install.sh`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "bpgo-browser-"));
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const shot = path.join(ARTIFACTS, EXTERNAL ? "browser-notebook01-container.png" : "browser-notebook01.png");
  let lab, browser, page;
  try {
    if (EXTERNAL) {
      assert.ok(EXTERNAL.token, "BPGO_LAB_URL is set but BPGO_LAB_TOKEN is not");
      lab = { ...EXTERNAL, log: () => "(an external server: see its own log)" };
    } else {
      const home = path.join(scratch, "home"); // like the image's home: a copy of the notebooks, not the repository's
      fs.mkdirSync(path.join(home, "work"), { recursive: true });
      fs.copyFileSync(path.join(ROOT, "notebooks", NOTEBOOK), path.join(home, NOTEBOOK));
      lab = await startLab(home, scratch);
    }
    console.log(`# JupyterLab at ${lab.url} (token of ${lab.token.length} characters)`);

    // Token authentication is on: without the token the API refuses and the page sends us to the login form.
    assert.equal((await fetch(`${lab.url}api/contents`)).status, 403, "the API answered without a token");
    const noToken = await fetch(`${lab.url}lab`, { redirect: "manual" });
    assert.ok(noToken.status === 302 && /\/login/.test(noToken.headers.get("location") || ""),
      `GET /lab without a token: status ${noToken.status}, location ${noToken.headers.get("location")}`);
    // The image's HEALTHCHECK finds this server the same way (for a container, docker_test.sh checks its health).
    if (!EXTERNAL) {
      const health = execFileSync(path.join(ROOT, ".bpgo", "venv", "bin", "python"),
        [path.join(ROOT, "docker", "healthcheck.py")],
        { env: { ...process.env, JUPYTER_DATA_DIR: path.join(ROOT, ".bpgo", "jupyter"), JUPYTER_PLATFORM_DIRS: "1" } });
      assert.match(health.toString(), /^ok: Jupyter server/);
    }

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1400 } });
    await page.goto(`${lab.url}lab/tree/${NOTEBOOK}?token=${lab.token}`);
    const nb = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)");
    await nb.locator(".jp-Cell").first().waitFor({ timeout: 120_000 });

    // The bpgo kernel: the notebook names it; if Lab asks anyway, pick it in the dialog.
    const dialog = page.locator(".jp-Dialog");
    const kernelName = nb.locator(".jp-KernelName");
    await Promise.race([dialog.waitFor({ timeout: 60_000 }), kernelName.filter({ hasText: KERNEL_DISPLAY_NAME }).waitFor({ timeout: 60_000 })]);
    if (await dialog.isVisible()) {
      await dialog.locator("select").selectOption({ label: KERNEL_DISPLAY_NAME });
      await dialog.getByRole("button", { name: "Select" }).click();
    }
    await assert.doesNotReject(kernelName.filter({ hasText: KERNEL_DISPLAY_NAME }).waitFor({ timeout: 60_000 }),
      "the toolbar does not show the bpgo kernel");
    // No wait for "idle" here: with GoNB, Lab shows the status as unknown until the first execution (GoNB's
    // start-up status messages answer kernel_info, which Lab does not track); cells run regardless.
    const idle = nb.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]');

    // The committed notebook carries outputs: clear them, so that what we check below is this run's.
    await page.getByRole("menuitem", { name: "Edit" }).click();
    await page.getByRole("menuitem", { name: /Clear Outputs of All Cells/ }).click();
    const cells = nb.locator(".jp-Notebook .jp-Cell");
    assert.equal(await nb.locator(".jp-OutputArea-output").count(), 0, "outputs left after clearing");

    // Run the first cells as a student does: select the first cell, Shift+Enter through the first two code cells.
    await cells.nth(0).click();
    await page.keyboard.press("Escape");
    const codeCells = nb.locator(".jp-Notebook .jp-CodeCell");
    const firstCode = codeCells.nth(0), secondCode = codeCells.nth(1);
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) await page.keyboard.press("Shift+Enter");
    await firstCode.locator(".jp-OutputArea-output", { hasText: "backend" }).first().waitFor({ timeout: 180_000 });
    const firstSecs = (Date.now() - t0) / 1000;
    const text = await firstCode.locator(".jp-OutputArea").innerText();
    assert.match(text, /bpgo: backend \S+/, `first cell output: ${text}`);
    console.log(`# first cell answered in ${firstSecs.toFixed(1)} s: ${text.split("\n")[0]}`);

    const img = secondCode.locator(".jp-OutputArea-output img").first();
    await img.waitFor({ timeout: 180_000 });
    await idle.waitFor({ timeout: 180_000 });
    await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle(), { timeout: 30_000 });
    const size = await img.evaluate((el) => [el.naturalWidth, el.naturalHeight]);
    assert.ok(size[0] >= 200 && size[1] >= 100, `figure is ${size[0]}x${size[1]} px`);
    assert.equal(await nb.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count(), 0,
      "a cell wrote to stderr");
    assert.match(await secondCode.locator(".jp-InputPrompt").innerText(), /\[\d+\]/, "second code cell has no execution count");
    console.log(`# figure rendered: <img> ${size[0]}x${size[1]} px after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // The first code cell at the top: its output and the figure below it are both in the picture.
    await firstCode.evaluate((el) => el.scrollIntoView({ block: "start" }));
    await page.waitForTimeout(500);
    await page.screenshot({ path: shot });
    console.log(`# screenshot: ${shot}`);
  } catch (e) {
    if (page) await page.screenshot({ path: shot.replace(/\.png$/, "-failed.png") }).catch(() => {});
    if (lab) console.log(`# JupyterLab log:\n${lab.log().split("\n").slice(-40).join("\n")}`);
    throw e;
  } finally {
    if (browser) await browser.close();
    if (!EXTERNAL) stopLab(lab);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});
