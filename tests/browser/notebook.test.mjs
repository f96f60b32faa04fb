#!/usr/bin/env node
// End to end in a real browser, the way a student does it: a real hubd on a
// free loopback port with its own temp dir, a student made with hubctl; in
// Debian's Chromium the student logs in on the login page, presses "Start my
// server", sees the spawn page's progress (EventSource), lands in the classic
// Jupyter Notebook tree at /user/NAME/tree, creates a Python 3 notebook (it
// opens in a new tab), runs print(6*7) and sees 42, saves, goes back to the
// hub and logs out.  Then the notebook file is checked on disk in the
// student's home, the server is stopped through the API with a hubctl token,
// and hubd stops cleanly.  One screenshot per step is kept in
// $HUBD_BUILDDIR/tests/browser/notebook-N-*.png.  Prints TAP; exits non-zero
// on any failure.
//
// Environment (set by `make check`):
//   HUBD_BUILDDIR  build dir holding hubd/hubd, hubd/hubctl and
//                  spawner/hubd-spawner (default: cwd)
//   HUBD_SRCDIR    source dir holding web/ and tests/browser/node_modules
//                  (default: two levels above this file)
//   HUBD_CHROMIUM  browser binary (default: /usr/bin/chromium)
//   NB_DEBUG       when set: print the whole hubd log, the student's server
//                  log and what the browser saw, even on success
// Needs, as root: `npm ci --prefix tests/browser` in the source dir, Debian's
// `chromium` and `jupyter-notebook` packages.  Missing any is a failure, not
// a skip.

import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SRCDIR = path.resolve(process.env.HUBD_SRCDIR || path.join(HERE, '..', '..'));
const BUILDDIR = path.resolve(process.env.HUBD_BUILDDIR || process.cwd());
const CHROMIUM = process.env.HUBD_CHROMIUM || '/usr/bin/chromium';
const HUBD = path.join(BUILDDIR, 'hubd', 'hubd');
const HUBCTL = path.join(BUILDDIR, 'hubd', 'hubctl');
const SPAWNER = path.join(BUILDDIR, 'spawner', 'hubd-spawner');
const WEB_DIR = path.join(SRCDIR, 'web');
const NODE_DIR = path.join(SRCDIR, 'tests', 'browser');
const SHOT_DIR = path.join(BUILDDIR, 'tests', 'browser');
const JUPYTER = '/usr/bin/jupyter-notebook';	// the hub's default command
const PYTHON = '/usr/bin/python3';		// reads hubd.sqlite

const WHOLE_TEST_MS = 170_000;	// hard ceiling for everything (< 3 min)
const STEP_MS = 15_000;		// default for each browser action
const HUBD_START_MS = 15_000;
const SPAWN_MS = 60_000;	// press "Start" .. Jupyter's tree on screen
const KERNEL_MS = 30_000;	// a new notebook's kernel idle
const STOP_MS = 30_000;		// DELETE .../server .. stopped and gone

const STUDENT = 'nbstudent';
const STUDENT_PW = 'nb-' + Math.random().toString(36).slice(2, 12);

// ---------------------------------------------------------------- TAP ----

const steps = [];
function step(name, fn, ms = 60_000) { steps.push({ name, fn, ms }); }
const diag = (text) => {
	for (const line of String(text).split('\n')) console.log('# ' + line);
};
class Fail extends Error {}
function check(cond, msg) { if (!cond) throw new Fail(msg); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const withTimeout = (p, ms, what) => Promise.race([
	p,
	new Promise((_, rej) => setTimeout(() => rej(new Fail(`${what}: no answer in ${ms} ms`)), ms).unref()),
]);

// -------------------------------------------------------- clean-up ----

let hubd = null;		// ChildProcess
let hubdErr = '';		// its stderr (the log), shown on failure
let browser = null;
let tmpDir = null;
let dataDir = null;
let conf = null;
let base = null;		// http://127.0.0.1:PORT
let apiToken = null;		// the student's API token (hubctl token add)
const browserLog = [];		// HTTP errors, page errors, console errors
const sockets = [];		// websockets the pages opened: { url, closed }

function hubdAlive() {
	return hubd && hubd.exitCode === null && hubd.signalCode === null;
}
function killHubd() {
	if (hubdAlive()) {
		try { hubd.kill('SIGKILL'); } catch { /* gone */ }
	}
}

// The servers table of hubd.sqlite, read with Debian's python3 (node 20 has
// no SQLite of its own).  [] when there is no database (yet).
function serverRows() {
	if (!dataDir) return [];
	const db = path.join(dataDir, 'hubd.sqlite');
	if (!fs.existsSync(db)) return [];
	const r = spawnSync(PYTHON, ['-c', `
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=5)
c.row_factory = sqlite3.Row
print(json.dumps([dict(r) for r in c.execute(
    "SELECT u.name, s.state, s.uid, s.pid, s.starttime, s.cgroup, s.socket, s.message "
    "FROM servers s JOIN users u ON u.id = s.user_id")]))
`, db], { encoding: 'utf8', timeout: 10_000 });
	if (r.status !== 0) throw new Fail(`reading ${db}: ${r.stderr || r.error}`);
	return JSON.parse(r.stdout);
}

// Field 22 of /proc/PID/stat (start time in clock ticks), or null.
function procStart(pid) {
	try {
		const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[19]);
	} catch { return null; }
}
const sameProcess = (pid, start) => pid > 0 && procStart(pid) === Number(start);

// Pids of the processes in the server's cgroup (its name is unique to this
// start of this server; uids are not: other hubs' tests running beside this
// one hand out the same uids).
function procsIn(cgroup) {
	const out = [];
	for (const d of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(d)) continue;
		try {
			const cg = fs.readFileSync(`/proc/${d}/cgroup`, 'utf8');
			if (cg.split('\n').some((l) => l.split('/').includes(cgroup))) out.push(Number(d));
		} catch { /* gone meanwhile */ }
	}
	return out;
}

// Last resort, as hubtest.py's kill_servers(): servers outlive hubd by
// design, so end ours by the pid and start time the hub recorded.
function killServers() {
	let rows = [];
	try { rows = serverRows(); } catch { return; }
	for (const r of rows) {
		if (sameProcess(r.pid, r.starttime)) {
			try { process.kill(r.pid, 'SIGKILL'); } catch { /* gone */ }
		}
		// And whatever is still in its cgroup (a kernel, say).
		for (const pid of r.cgroup ? procsIn(r.cgroup) : []) {
			try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
		}
	}
}
function removeTmp() {
	if (tmpDir) {
		try { fs.rmSync(tmpDir, { recursive: true, force: true }); } catch { /* best effort */ }
		tmpDir = null;
	}
}
// Whatever happens, no hubd and no student server outlives this process.
process.on('exit', () => { killHubd(); killServers(); removeTmp(); });

async function stopHubd() {
	if (!hubdAlive()) return hubd ? { code: hubd.exitCode, sig: hubd.signalCode } : null;
	const exited = new Promise((res) => hubd.once('exit', (code, sig) => res({ code, sig })));
	hubd.kill('SIGTERM');
	try {
		return await withTimeout(exited, 10_000, 'hubd after SIGTERM');
	} catch {
		killHubd();
		return { code: null, sig: 'SIGKILL (did not stop on SIGTERM)' };
	}
}

// Stop the student's server the polite way (API), bounded; true when the
// database says stopped.
async function stopServerViaApi(ms) {
	if (!hubdAlive() || !apiToken) return false;
	try {
		await fetch(`${base}/hub/api/users/${STUDENT}/server`, {
			method: 'DELETE', headers: { Authorization: `token ${apiToken}` },
			signal: AbortSignal.timeout(5000),
		});
		const deadline = Date.now() + ms;
		while (Date.now() < deadline) {
			const row = serverRows().find((r) => r.name === STUDENT);
			if (!row || row.state === 'stopped' || row.state === 'failed') return true;
			await sleep(200);
		}
	} catch { /* fall through to the kill */ }
	return false;
}

let exiting = false;
async function emergencyExit(msg) {
	if (exiting) return;
	exiting = true;
	console.log(`Bail out! ${msg}`);
	dumpLogs();
	const b = browser;
	browser = null;
	if (b) await withTimeout(b.close(), 5000, 'closing Chromium').catch(() => {});
	await stopServerViaApi(5000).catch(() => {});
	await stopHubd().catch(() => {});
	process.exit(1);	// the exit handler kills what is left
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
	process.on(sig, () => emergencyExit(`killed by ${sig}`));
}
const watchdog = setTimeout(
	() => emergencyExit(`the whole test took more than ${WHOLE_TEST_MS / 1000} s`), WHOLE_TEST_MS);
watchdog.unref();

function dumpLogs() {
	if (browserLog.length) diag('browser saw:\n' + browserLog.slice(-40).join('\n'));
	if (hubdErr) diag('hubd log (last 60 lines):\n' + hubdErr.trimEnd().split('\n').slice(-60).join('\n'));
}

// ---------------------------------------------------------- helpers ----

function freePort() {
	return new Promise((res, rej) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', rej);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => res(port));
		});
	});
}

async function startHubd(port) {
	const child = spawn(HUBD, ['--config', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
	hubd = child;
	hubdErr = '';
	child.stderr.setEncoding('utf8');
	child.stderr.on('data', (d) => { hubdErr += d; });
	child.stdout.resume();	// the admin's one-time password: not needed here
	const url = `http://127.0.0.1:${port}`;
	const deadline = Date.now() + HUBD_START_MS;
	for (;;) {
		try {
			const r = await fetch(url + '/hub/health', { signal: AbortSignal.timeout(2000) });
			if (r.status === 200) return url;
		} catch { /* not listening yet */ }
		if (!hubdAlive()) throw new Fail(`hubd exited (code ${child.exitCode}, signal ${child.signalCode})`);
		if (Date.now() > deadline) throw new Fail(`hubd does not answer on ${url}/hub/health`);
		await sleep(100);
	}
}

function hubctl(args, input) {
	const r = spawnSync(HUBCTL, ['--config', conf, ...args], {
		input, encoding: 'utf8', timeout: 15_000,
	});
	if (r.error) throw r.error;
	return r;
}

async function shot(page, n, name) {
	const file = path.join(SHOT_DIR, `notebook-${n}-${name}.png`);
	await page.screenshot({ path: file, fullPage: false });
	diag(`screenshot: ${file}`);
}

const pathOf = (page) => new URL(page.url()).pathname;

// Record what goes wrong in a page, for the diagnostics of a failure.
function watchPage(page, label) {
	page.on('response', (r) => {
		if (r.status() >= 400)
			browserLog.push(`${label}: ${r.status()} ${r.request().method()} ${r.url()}`);
	});
	page.on('requestfailed', (r) => {
		const why = r.failure() ? r.failure().errorText : '?';
		if (!/ERR_ABORTED/.test(why))
			browserLog.push(`${label}: failed ${r.method()} ${r.url()}: ${why}`);
	});
	page.on('pageerror', (e) => browserLog.push(`${label}: page error: ${e.message}`));
	page.on('console', (m) => {
		if (m.type() === 'error') browserLog.push(`${label}: console: ${m.text()}`);
	});
	page.on('websocket', (ws) => {
		const rec = { url: ws.url(), closed: false };
		sockets.push(rec);
		browserLog.push(`${label}: websocket ${ws.url()}`);
		ws.on('close', () => {
			rec.closed = true;
			browserLog.push(`${label}: websocket closed ${ws.url()}`);
		});
		ws.on('socketerror', (e) => browserLog.push(`${label}: websocket error ${ws.url()}: ${e}`));
	});
}

// ----------------------------------------------------------- the test ----

let chromium = null;	// playwright-core's chromium
let ctx = null;		// the student's browser context
let hubPage = null;	// the tab the student started in
let nbPage = null;	// the notebook's tab
let nbName = null;	// Untitled.ipynb (as Jupyter named it)
const sse = [];		// progress events the spawn page's EventSource got
let spawnSeen = null;	// what the spawn page showed: { url, message, bar }
let serverRow = null;	// the servers row once it runs

step('prerequisites: playwright-core, Chromium, Jupyter Notebook, hubd, hubctl, spawner; root', async () => {
	check(process.getuid() === 0, 'this test runs as root (hubd drops to the user hubd, ' +
		'students\' homes are theirs, mode 0700)');
	const req = createRequire(path.join(NODE_DIR, 'package.json'));
	try {
		({ chromium } = req('playwright-core'));
	} catch (e) {
		throw new Fail(`playwright-core not found under ${NODE_DIR}/node_modules ` +
			`(${e.code || e.message}).\nInstall it with: npm ci --prefix ${NODE_DIR}`);
	}
	check(fs.existsSync(CHROMIUM),
		`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set HUBD_CHROMIUM`);
	check(fs.existsSync(JUPYTER),
		`no ${JUPYTER}: install Debian's package (apt-get install jupyter-notebook)`);
	check(fs.existsSync(PYTHON), `no ${PYTHON}: install Debian's python3`);
	for (const f of [HUBD, HUBCTL, SPAWNER]) {
		check(fs.existsSync(f), `${f} is missing: build it (make) or set HUBD_BUILDDIR`);
	}
	check(fs.existsSync(path.join(WEB_DIR, 'static', 'spawn.js')),
		`${WEB_DIR} has no static/spawn.js: set HUBD_SRCDIR`);
	fs.mkdirSync(SHOT_DIR, { recursive: true });
	for (const f of fs.readdirSync(SHOT_DIR)) {	// no stale pictures from an older run
		if (/^notebook-\d+-.*\.png$/.test(f)) fs.rmSync(path.join(SHOT_DIR, f), { force: true });
	}
});

step('hubd starts with its own temp dir on a free loopback port', async () => {
	tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubd-nb-'));
	fs.chmodSync(tmpDir, 0o755);	// hubd re-reads its config as its own user
	conf = path.join(tmpDir, 'hubd.conf');
	if (spawnSync('id', ['hubd']).status !== 0) {
		const r = spawnSync('useradd', ['--system', '--no-create-home', '--shell',
			'/usr/sbin/nologin', 'hubd'], { encoding: 'utf8' });
		check(r.status === 0, `useradd hubd: ${r.stderr}`);
	}
	let lastErr = null;
	for (let attempt = 0; attempt < 3 && !base; attempt++) {	// the port may be taken meanwhile
		const port = await freePort();
		dataDir = path.join(tmpDir, `data${attempt}`);
		fs.writeFileSync(conf,
			`[hub]\nlisten = 127.0.0.1:${port}\ndata_dir = ${dataDir}\nweb_dir = ${WEB_DIR}\n` +
			`spawner = ${SPAWNER}\nuser = hubd\nlog_level = debug\n` +
			`[server]\nhomes = ${tmpDir}/homes\nsockets = ${tmpDir}/sockets\n`);
		try {
			base = await startHubd(port);
		} catch (e) {
			lastErr = e;
			await stopHubd();
			diag(`attempt ${attempt + 1} on port ${port}: ${e.message}`);
		}
	}
	if (!base) throw lastErr;
	diag(`hubd at ${base}, temp dir ${tmpDir}`);
});

step(`hubctl creates the student '${STUDENT}' (password on stdin) and a token for the API`, async () => {
	const r = hubctl(['user', 'add', STUDENT, '--role', 'student', '--password-stdin'], STUDENT_PW + '\n');
	check(r.status === 0, `hubctl user add exited ${r.status} (signal ${r.signal}):\n${r.stdout}${r.stderr}`);
	const t = hubctl(['token', 'add', STUDENT]);
	check(t.status === 0 && /^\S{16,}$/.test(t.stdout.trim()),
		`hubctl token add exited ${t.status}:\n${t.stdout}${t.stderr}`);
	apiToken = t.stdout.trim();
});

step('Chromium starts', async () => {
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		timeout: 30_000,
		handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	diag(`Chromium ${browser.version()}`);
	ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	ctx.setDefaultTimeout(STEP_MS);
	ctx.setDefaultNavigationTimeout(STEP_MS);
	// Listen in on the spawn page's EventSource (spawn.js is not changed:
	// a second listener on each EventSource reports every message here).
	await ctx.exposeBinding('__hubdTestSse', (_src, url, data) => {
		let ev = null;
		try { ev = JSON.parse(data); } catch { /* kept raw */ }
		sse.push({ url, data, ev, t: Date.now() });
	});
	await ctx.addInitScript(() => {
		const ES = window.EventSource;
		if (!ES) return;
		window.EventSource = class extends ES {
			constructor(...args) {
				super(...args);
				this.addEventListener('message', (e) => {
					try { window.__hubdTestSse(this.url, String(e.data)); } catch { /* page gone */ }
				});
			}
		};
	});
	let tabs = 0;
	ctx.on('page', (p) => watchPage(p, tabs++ === 0 ? 'hub tab' : 'notebook tab'));
});

step('the student logs in on the login page and lands on home with "Start my server"', async () => {
	hubPage = await ctx.newPage();
	await hubPage.goto(base + '/hub/login');
	await hubPage.fill('#username', STUDENT);
	await hubPage.fill('#password', STUDENT_PW);
	await shot(hubPage, 1, 'login');
	const [resp] = await Promise.all([
		hubPage.waitForResponse((r) => r.request().method() === 'POST' &&
			new URL(r.url()).pathname === '/hub/login'),
		hubPage.getByRole('button', { name: 'Log in' }).click(),
	]);
	check(resp.status() === 303, `POST /hub/login answered ${resp.status()}, expected 303`);
	await hubPage.waitForURL((u) => u.pathname === '/hub/home');
	await hubPage.getByRole('heading', { name: `Welcome, ${STUDENT}` }).waitFor();
	const start = hubPage.getByRole('button', { name: 'Start my server' });
	check(await start.isVisible(), 'no visible "Start my server" button on home');
	await shot(hubPage, 2, 'home');
});

step('"Start my server" shows the spawn page with its progress (EventSource)', async () => {
	const t0 = Date.now();
	await Promise.all([
		hubPage.waitForURL((u) => u.pathname === `/hub/spawn-pending/${STUDENT}`),
		hubPage.getByRole('button', { name: 'Start my server' }).click(),
	]);
	check(await hubPage.getByRole('heading', { name: 'Starting your server' }).isVisible(),
		'the spawn page has no "Starting your server" heading');
	// Picture it once the first progress event has arrived (if Jupyter was
	// faster than that, the page is gone and the events still tell).
	const deadline = Date.now() + 10_000;
	while (!sse.length && Date.now() < deadline) await sleep(50);
	if (pathOf(hubPage) === `/hub/spawn-pending/${STUDENT}`) {
		try {
			spawnSeen = await hubPage.evaluate(() => ({
				message: document.getElementById('message').textContent,
				bar: document.getElementById('bar').value,
				script: !!document.querySelector('script[src="/hub/static/spawn.js"]'),
			}));
			await shot(hubPage, 3, 'spawn');
		} catch (e) {
			diag(`the spawn page went away before its picture: ${e.message.split('\n')[0]}`);
		}
	}
	check(sse.length > 0, 'the spawn page\'s EventSource got no event in 10 s');
	check(spawnSeen === null || spawnSeen.script, 'the spawn page does not load /hub/static/spawn.js');
	diag(`first progress event after ${sse[0].t - t0} ms on ${new URL(sse[0].url).pathname}`);
	if (spawnSeen) diag(`the spawn page showed: progress ${spawnSeen.bar}, "${spawnSeen.message.trim()}"`);
});

step('the spawn page goes on to Jupyter Notebook\'s tree at /user/NAME/tree', async () => {
	await hubPage.waitForURL((u) => u.pathname === `/user/${STUDENT}/tree`, { timeout: SPAWN_MS });
	const evs = sse.map((s) => s.ev).filter(Boolean);
	diag('progress events: ' + evs.map((e) =>
		`${e.progress}${e.ready ? ' ready' : ''}${e.failed ? ' FAILED' : ''} "${e.message || ''}"`).join(', '));
	check(sse.every((s) => new URL(s.url).pathname === `/hub/api/users/${STUDENT}/server/progress`),
		`EventSource on an unexpected URL: ${sse.map((s) => s.url).join(' ')}`);
	check(evs.length === sse.length, `unparsable events: ${sse.filter((s) => !s.ev).map((s) => s.data).join(' | ')}`);
	const last = evs[evs.length - 1];
	check(last && last.ready === true, `the last progress event is not ready: ${JSON.stringify(last)}`);
	check(last.url === `/user/${STUDENT}/`, `the ready event's url is ${JSON.stringify(last.url)}`);
	check(!evs.some((e) => e.failed), 'a progress event says failed');
	const prog = evs.map((e) => e.progress).filter((p) => typeof p === 'number');
	check(prog.every((p, i) => i === 0 || p >= prog[i - 1]), `progress goes down: ${prog.join(' ')}`);
	check(prog.length && prog[prog.length - 1] === 100, `progress does not end at 100: ${prog.join(' ')}`);
	// Jupyter's own page, through the proxy: its title, its file list and
	// the New button, the list filled in by /user/NAME/api/contents.
	await hubPage.locator('#notebook_list').waitFor();
	await hubPage.locator('#new-dropdown-button').waitFor();
	check((await hubPage.title()).includes('Home'), `the tree's title is ${JSON.stringify(await hubPage.title())}`);
	check(await hubPage.locator('body').getAttribute('data-base-url') === `/user/${STUDENT}/`,
		`Jupyter's base URL is ${await hubPage.locator('body').getAttribute('data-base-url')}`);
	// The file list comes from /user/NAME/api/contents: a new home is empty.
	await hubPage.locator('#notebook_list', { hasText: 'The notebook list is empty.' }).waitFor();
	const rows = serverRows();
	serverRow = rows.find((r) => r.name === STUDENT);
	check(serverRow && serverRow.state === 'running', `the database says ${JSON.stringify(serverRow)}`);
	check(sameProcess(serverRow.pid, serverRow.starttime), `the server's pid ${serverRow.pid} is not running`);
	check(serverRow.cgroup && procsIn(serverRow.cgroup).includes(serverRow.pid),
		`the server's pid ${serverRow.pid} is not in its cgroup ${serverRow.cgroup}`);
	await shot(hubPage, 4, 'tree');
}, SPAWN_MS + 15_000);

step('New → Python 3 opens a new notebook in a new tab, its kernel idle', async () => {
	await hubPage.locator('#new-dropdown-button').click();
	const item = hubPage.locator('#kernel-python3 a');
	await item.waitFor();
	// Debian's ipykernel names it "Python 3 (ipykernel)".
	check(/^Python 3\b/.test((await item.textContent()).trim()), `the menu item says ${await item.textContent()}`);
	const [popup] = await Promise.all([
		hubPage.waitForEvent('popup'),
		item.click(),
	]);
	nbPage = popup;
	nbPage.setDefaultTimeout(STEP_MS);
	await nbPage.waitForURL((u) => u.pathname.startsWith(`/user/${STUDENT}/notebooks/`) &&
		u.pathname.endsWith('.ipynb'));
	nbName = decodeURIComponent(pathOf(nbPage).slice(`/user/${STUDENT}/notebooks/`.length));
	diag(`the new notebook: ${nbPage.url()}`);
	// The kernel's websocket goes through hubd: idle means it is connected.
	await nbPage.locator('#kernel_indicator_icon.kernel_idle_icon').waitFor({ state: 'attached', timeout: KERNEL_MS });
	await nbPage.locator('.cell.code_cell .CodeMirror').first().waitFor();
	const kname = (await nbPage.locator('#kernel_indicator .kernel_indicator_name').textContent()).trim();
	check(/^Python 3\b/.test(kname), `the kernel is ${JSON.stringify(kname)}`);
	const ws = sockets.filter((w) => new RegExp(
		`^ws://127\\.0\\.0\\.1:\\d+/user/${STUDENT}/api/kernels/[0-9a-f-]+/channels\\?`).test(w.url));
	check(ws.length >= 1 && ws.some((w) => !w.closed),
		`no open kernel websocket through hubd: ${JSON.stringify(sockets)}`);
	await shot(nbPage, 5, 'notebook');
});

step('print(6*7) in the first cell, Shift+Enter: the output is 42', async () => {
	const cell = nbPage.locator('.cell.code_cell').first();
	await cell.locator('.CodeMirror').click();
	await nbPage.keyboard.type('print(6*7)');
	await nbPage.keyboard.press('Shift+Enter');
	const out = cell.locator('.output_subarea');
	await out.first().waitFor({ timeout: KERNEL_MS });
	await nbPage.waitForFunction(
		(el) => el.textContent.trim() === '42', await out.first().elementHandle(), { timeout: KERNEL_MS });
	// The output comes before the execute_reply that numbers the prompt.
	const prompt = cell.locator('.input_prompt');
	await nbPage.waitForFunction((el) => el.textContent.replace(/\s+/g, '') === 'In[1]:',
		await prompt.elementHandle(), { timeout: KERNEL_MS }).catch(() => {});
	const ptext = (await prompt.textContent()).replace(/\s+/g, '');
	check(ptext === 'In[1]:', `the cell's prompt is ${JSON.stringify(ptext)}, expected In [1]:`);
	await nbPage.locator('#kernel_indicator_icon.kernel_idle_icon').waitFor({ state: 'attached', timeout: KERNEL_MS });
	check((await cell.locator('.input_area').textContent()).includes('print(6*7)'),
		'the cell does not hold print(6*7)');
	await shot(nbPage, 6, 'output');
});

step('Ctrl+S saves the notebook (PUT /user/NAME/api/contents/… answers 200)', async () => {
	const want = `/user/${STUDENT}/api/contents/${encodeURIComponent(nbName)}`;
	const [resp] = await Promise.all([
		nbPage.waitForResponse((r) => r.request().method() === 'PUT' &&
			new URL(r.url()).pathname === want, { timeout: STEP_MS }),
		nbPage.keyboard.press('Control+S'),
	]);
	check(resp.status() === 200, `PUT ${want} answered ${resp.status()}`);
	const saved = await resp.json();
	check(saved.name === nbName && saved.type === 'notebook', `the save answered ${JSON.stringify(saved).slice(0, 200)}`);
	// Ctrl+S is "save and checkpoint": the checkpoint follows the PUT.
	await nbPage.locator('#notification_notebook', { hasText: 'Checkpoint created' }).waitFor({ timeout: 5000 })
		.catch(() => diag('("Checkpoint created" was not seen; the PUT answered 200)'));
	await shot(nbPage, 7, 'saved');
});

step('back to the hub: home says the server runs; "Log out" ends the session', async () => {
	await hubPage.bringToFront();
	await hubPage.goto(base + '/hub/home');
	await hubPage.getByRole('heading', { name: `Welcome, ${STUDENT}` }).waitFor();
	check(await hubPage.getByRole('link', { name: 'Open my notebooks' }).isVisible(),
		'home does not offer "Open my notebooks" while the server runs');
	check(await hubPage.getByRole('button', { name: 'Stop my server' }).isVisible(),
		'home does not offer "Stop my server" while the server runs');
	await shot(hubPage, 8, 'home-running');
	await Promise.all([
		hubPage.waitForURL((u) => u.pathname === '/hub/login'),
		hubPage.getByRole('link', { name: 'Log out' }).click(),
	]);
	await hubPage.getByRole('button', { name: 'Log in' }).waitFor();
	await shot(hubPage, 9, 'logout');
	// Logged out means logged out of the notebooks too.
	await hubPage.goto(`${base}/user/${STUDENT}/tree`);
	check(pathOf(hubPage) === '/hub/login',
		`after logout /user/${STUDENT}/tree shows ${hubPage.url()}, expected the login page`);
	const next = new URL(hubPage.url()).searchParams.get('next');
	check(next === `/user/${STUDENT}/tree`, `the login page's next is ${JSON.stringify(next)}, expected /user/${STUDENT}/tree`);
	const api = await ctx.request.get(`${base}/user/${STUDENT}/api/contents`, { maxRedirects: 0 });
	check(api.status() >= 300 && api.status() !== 404 && api.status() < 500 &&
		!(await api.text()).includes(nbName),
		`after logout GET /user/${STUDENT}/api/contents answered ${api.status()}`);
	await ctx.close();
	ctx = null;
	await withTimeout(browser.close(), 10_000, 'closing Chromium').catch(() => {});
	browser = null;
});

step('the notebook is on disk in the student\'s home, with print(6*7) and 42', async () => {
	const homes = path.join(tmpDir, 'homes');
	const found = [];
	for (const d of fs.readdirSync(homes)) {
		const f = path.join(homes, d, nbName);
		if (fs.existsSync(f)) found.push({ dir: path.join(homes, d), file: f });
	}
	check(found.length === 1, `${nbName} under ${homes}/*/: found ${found.length} ` +
		`(homes: ${fs.readdirSync(homes).join(', ')})`);
	const { dir, file } = found[0];
	const ds = fs.statSync(dir);
	check((ds.mode & 0o777) === 0o700, `the home ${dir} has mode ${(ds.mode & 0o777).toString(8)}, expected 700`);
	check(ds.uid === serverRow.uid, `the home belongs to uid ${ds.uid}, the server ran as ${serverRow.uid}`);
	check(path.basename(dir) === String(serverRow.uid), `the home is named ${path.basename(dir)}, not by uid ${serverRow.uid}`);
	const fst = fs.statSync(file);
	check(fst.uid === serverRow.uid, `${file} belongs to uid ${fst.uid}, expected ${serverRow.uid}`);
	const text = fs.readFileSync(file, 'utf8');
	check(text.includes('print(6*7)') && text.includes('42'), `${file} lacks print(6*7) or 42:\n${text.slice(0, 800)}`);
	const nb = JSON.parse(text);
	const cell = nb.cells && nb.cells[0];
	const src = cell && [].concat(cell.source).join('');
	const out = cell && (cell.outputs || []).map((o) => [].concat(o.text || '').join('')).join('');
	check(src === 'print(6*7)' && out === '42\n' && cell.execution_count === 1,
		`the first cell is ${JSON.stringify(cell).slice(0, 400)}`);
	diag(`${file}: ${text.length} bytes, uid ${fst.uid}, home mode 0700`);
});

step('DELETE /hub/api/users/NAME/server (hubctl token) stops the server; nothing is left', async () => {
	check(hubdAlive(), 'hubd is no longer running');
	const r = await fetch(`${base}/hub/api/users/${STUDENT}/server`, {
		method: 'DELETE', headers: { Authorization: `token ${apiToken}` },
		signal: AbortSignal.timeout(10_000),
	});
	check(r.status === 202 || r.status === 204, `DELETE answered ${r.status}: ${await r.text()}`);
	const deadline = Date.now() + STOP_MS;
	let row = null;
	let left = [];
	for (;;) {
		row = serverRows().find((x) => x.name === STUDENT);
		left = procsIn(serverRow.cgroup);
		if (row && row.state === 'stopped' && !sameProcess(serverRow.pid, serverRow.starttime) && !left.length) break;
		if (Date.now() > deadline) break;
		await sleep(200);
	}
	check(row && row.state === 'stopped', `after ${STOP_MS / 1000} s the database says ${JSON.stringify(row)}`);
	check(!sameProcess(serverRow.pid, serverRow.starttime), `the server's pid ${serverRow.pid} still runs`);
	check(!left.length, `processes left in the server's cgroup ${serverRow.cgroup}: ${left.join(' ')}`);
	const u = await fetch(`${base}/hub/api/users/${STUDENT}`, {
		headers: { Authorization: `token ${apiToken}` }, signal: AbortSignal.timeout(5000),
	});
	const model = await u.json();
	check(u.status === 200 && model.server === null, `the user model after stop: ${JSON.stringify(model).slice(0, 300)}`);
});

step('hubd stops cleanly on SIGTERM', async () => {
	const r = await stopHubd();
	check(r && r.code === 0, `hubd ended with ${JSON.stringify(r)}`);
});

// ------------------------------------------------------------- run ----

async function main() {
	console.log(`1..${steps.length}`);
	let failed = 0;
	let broken = null;	// first failing step; later steps depend on it
	for (const [i, s] of steps.entries()) {
		const n = i + 1;
		if (exiting) break;	// emergencyExit owns the output now
		if (broken) {
			console.log(`not ok ${n} - ${s.name}`);
			diag(`not run: step ${broken} failed`);
			failed++;
			continue;
		}
		try {
			await withTimeout(s.fn(), s.ms, 'step');
			console.log(`ok ${n} - ${s.name}`);
		} catch (e) {
			if (exiting) break;
			failed++;
			console.log(`not ok ${n} - ${s.name}`);
			diag(e instanceof Fail ? e.message : (e && e.stack) || String(e));
			if (n !== steps.length) broken = n;
		}
	}
	if (exiting) return new Promise(() => {});	// process.exit comes
	if (failed) dumpLogs();
	if (process.env.NB_DEBUG) {	// everything, for whoever chases a problem
		diag('browser saw:\n' + browserLog.join('\n'));
		diag('hubd log:\n' + hubdErr.trimEnd());
		try {
			diag('the server\'s log:\n' + fs.readFileSync(
				path.join(dataDir, 'logs', `${STUDENT}.log`), 'utf8').trimEnd());
		} catch (e) { diag(`no server log: ${e.message}`); }
	}
	// Clean up whatever a failure left behind: the student's server first
	// (it outlives hubd), then hubd, then anything still recorded.
	if (browser) await withTimeout(browser.close(), 10_000, 'closing Chromium').catch(() => {});
	browser = null;
	if (hubdAlive()) await stopServerViaApi(10_000).catch(() => {});
	await stopHubd();
	killServers();
	removeTmp();
	return failed;
}

main().then(
	(failed) => process.exit(failed ? 1 : 0),
	(e) => { console.log('Bail out! ' + ((e && e.stack) || e)); process.exit(1); },
);
