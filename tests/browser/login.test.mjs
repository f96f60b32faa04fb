#!/usr/bin/env node
// End-to-end browser test, as a person would do it: start a real hubd on a
// free loopback port with an empty data dir, read the admin's one-time
// password from its stdout, log in as admin in Debian's Chromium, choose a
// new password, create a student with hubctl, log in as the student (wrong
// password first), log out, check the login page on a phone-sized screen and
// without JavaScript.  Prints TAP; exits non-zero on any failure.
//
// Environment (set by `make check`):
//   HUBD_BUILDDIR  build dir holding hubd/hubd and hubd/hubctl (default: cwd)
//   HUBD_SRCDIR    source dir holding web/ and tests/browser/node_modules
//                  (default: two levels above this file)
//   HUBD_CHROMIUM  browser binary (default: /usr/bin/chromium)
// Needs: `npm ci --prefix tests/browser` in the source dir, and Debian's
// `chromium` package.  Missing either is a failure, not a skip.

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

const WHOLE_TEST_MS = 110_000;	// hard ceiling for everything
const STEP_MS = 10_000;		// default for each browser action
const HUBD_START_MS = 10_000;

const STUDENT = 'student1';
const STUDENT_PW = 'st-' + Math.random().toString(36).slice(2, 12);
const ADMIN_NEW_PW = 'ad-' + Math.random().toString(36).slice(2, 12);

// ---------------------------------------------------------------- TAP ----

const steps = [];
function step(name, fn) { steps.push({ name, fn }); }
const diag = (text) => {
	for (const line of String(text).split('\n')) console.log('# ' + line);
};
class Fail extends Error {}
function check(cond, msg) { if (!cond) throw new Fail(msg); }

// -------------------------------------------------------- clean-up ----

let hubd = null;		// ChildProcess
let hubdErr = '';		// its stderr, shown on failure
let browser = null;
let tmpDir = null;

function killHubd() {
	if (hubd && hubd.exitCode === null && hubd.signalCode === null) {
		try { hubd.kill('SIGKILL'); } catch { /* gone */ }
	}
}
function removeTmp() {
	if (tmpDir) {
		try { fs.rmSync(tmpDir, { recursive: true, force: true }); } catch { /* best effort */ }
		tmpDir = null;
	}
}
// Last resort: whatever happens, no hubd outlives this process (Playwright
// kills the browser it launched on exit by itself).
process.on('exit', () => { killHubd(); removeTmp(); });
// On a signal or the watchdog: close Chromium and stop hubd, bounded.
let exiting = false;
async function emergencyExit(msg) {
	if (exiting) return;
	exiting = true;
	console.log(`Bail out! ${msg}`);
	if (hubdErr) diag('hubd stderr:\n' + hubdErr.trimEnd());
	const b = browser;
	browser = null;
	if (b) await withTimeout(b.close(), 5000, 'closing Chromium').catch(() => {});
	await stopHubd().catch(() => {});
	process.exit(1);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
	process.on(sig, () => emergencyExit(`killed by ${sig}`));
}
const watchdog = setTimeout(
	() => emergencyExit(`the whole test took more than ${WHOLE_TEST_MS / 1000} s`), WHOLE_TEST_MS);
watchdog.unref();

const withTimeout = (p, ms, what) => Promise.race([
	p,
	new Promise((_, rej) => setTimeout(() => rej(new Fail(`${what}: no answer in ${ms} ms`)), ms).unref()),
]);

async function stopHubd() {
	if (!hubd || hubd.exitCode !== null || hubd.signalCode !== null) return null;
	const exited = new Promise((res) => hubd.once('exit', (code, sig) => res({ code, sig })));
	hubd.kill('SIGTERM');
	try {
		return await withTimeout(exited, 5000, 'hubd after SIGTERM');
	} catch {
		killHubd();
		return { code: null, sig: 'SIGKILL (did not stop on SIGTERM)' };
	}
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

// Start hubd; resolve with the one-time password once it answers HTTP.
async function startHubd(confPath, port) {
	const child = spawn(HUBD, ['--config', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
	hubd = child;
	hubdErr = '';
	let out = '';
	child.stderr.setEncoding('utf8');
	child.stderr.on('data', (d) => { hubdErr += d; });
	child.stdout.setEncoding('utf8');
	const otp = await withTimeout(new Promise((res, rej) => {
		child.stdout.on('data', (d) => {
			out += d;
			const m = /^\s*One-time password:\s*(\S+)\s*$/m.exec(out);
			if (m) res(m[1]);
		});
		child.once('error', rej);
		child.once('exit', (code, sig) => rej(new Fail(
			`hubd exited (code ${code}, signal ${sig}) before printing the one-time password`)));
	}), HUBD_START_MS, 'hubd one-time password on stdout');
	const base = `http://127.0.0.1:${port}`;
	const deadline = Date.now() + HUBD_START_MS;
	for (;;) {
		try {
			const r = await fetch(base + '/hub/login', { signal: AbortSignal.timeout(2000) });
			if (r.status === 200) break;
		} catch { /* not listening yet */ }
		if (child.exitCode !== null) throw new Fail(`hubd exited with ${child.exitCode}`);
		if (Date.now() > deadline) throw new Fail(`hubd does not answer on ${base}`);
		await new Promise((r) => setTimeout(r, 100));
	}
	return { otp, base };
}

function hubctl(confPath, args, input) {
	const r = spawnSync(HUBCTL, ['--config', confPath, ...args], {
		input, encoding: 'utf8', timeout: 10_000,
	});
	if (r.error) throw r.error;
	return r;
}

// Submit the login form on `page` and return the POST's response.
async function submitLogin(page, base, user, password) {
	await page.goto(base + '/hub/login');
	await page.fill('#username', user);
	await page.fill('#password', password);
	const [resp] = await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST' &&
			new URL(r.url()).pathname === '/hub/login'),
		page.getByRole('button', { name: 'Log in' }).click(),
	]);
	await page.waitForLoadState('load');
	return resp;
}

const pathOf = (page) => new URL(page.url()).pathname;

async function newContext(opts = {}) {
	const ctx = await browser.newContext({ viewport: { width: 1024, height: 768 }, ...opts });
	ctx.setDefaultTimeout(STEP_MS);
	ctx.setDefaultNavigationTimeout(STEP_MS);
	return ctx;
}

// ----------------------------------------------------------- the test ----

let chromium = null;	// playwright-core's chromium
let conf = null;	// hubd config path
let hub = null;		// { otp, base }
let adminCtx = null;

step('prerequisites: playwright-core, Chromium, hubd and hubctl are there', async () => {
	const req = createRequire(path.join(NODE_DIR, 'package.json'));
	try {
		({ chromium } = req('playwright-core'));
	} catch (e) {
		throw new Fail(`playwright-core not found under ${NODE_DIR}/node_modules ` +
			`(${e.code || e.message}).\nInstall it with: npm ci --prefix ${NODE_DIR}`);
	}
	check(fs.existsSync(CHROMIUM),
		`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set HUBD_CHROMIUM`);
	for (const f of [HUBD, HUBCTL, SPAWNER]) {
		check(fs.existsSync(f), `${f} is missing: build it (make hubd/hubd hubd/hubctl) or set HUBD_BUILDDIR`);
	}
	check(fs.existsSync(path.join(WEB_DIR, 'templates', 'login.html')),
		`${WEB_DIR} has no templates/login.html: set HUBD_SRCDIR`);
});

step('hubd starts on an empty data dir and prints the admin one-time password', async () => {
	tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubd-browser-'));
	fs.chmodSync(tmpDir, 0o755);	// hubd re-reads its config as its own user
	conf = path.join(tmpDir, 'hubd.conf');
	// As root hubd drops to the system user 'hubd': make it when missing.
	if (process.getuid() === 0 && spawnSync('id', ['hubd']).status !== 0)
		spawnSync('useradd', ['--system', '--no-create-home', '--shell',
		    '/usr/sbin/nologin', 'hubd']);
	let lastErr = null;
	for (let attempt = 0; attempt < 3; attempt++) {	// the free port may be taken meanwhile
		const port = await freePort();
		const data = path.join(tmpDir, `data${attempt}`);
		fs.writeFileSync(conf, `[hub]\nlisten = 127.0.0.1:${port}\ndata_dir = ${data}\nweb_dir = ${WEB_DIR}\n` +
		    `spawner = ${SPAWNER}\nuser = hubd\n`);
		try {
			hub = await startHubd(conf, port);
			break;
		} catch (e) {
			lastErr = e;
			await stopHubd();
			diag(`attempt ${attempt + 1} on port ${port}: ${e.message}`);
		}
	}
	if (!hub) throw lastErr;
	check(/^[A-Za-z0-9]{8,}$/.test(hub.otp), `odd one-time password ${JSON.stringify(hub.otp)}`);
	diag(`hubd at ${hub.base}`);
});

step('Chromium starts', async () => {
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		timeout: 30_000,
		// This script closes the browser itself on signals (emergencyExit).
		handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	diag(`Chromium ${browser.version()}`);
});

step('admin logs in with the one-time password and is sent to the password page', async () => {
	adminCtx = await newContext();
	const page = await adminCtx.newPage();
	const resp = await submitLogin(page, hub.base, 'admin', hub.otp);
	check(resp.status() === 303, `POST /hub/login answered ${resp.status()}, expected 303`);
	check(pathOf(page) === '/hub/password', `landed on ${page.url()}, expected /hub/password`);
	await page.getByRole('heading', { name: 'Change password' }).waitFor();
	check(!(await page.locator('#current').isVisible()),
		'the "Current password" field is shown for a one-time password');
	check(await page.locator('#password').isVisible() && await page.locator('#confirm').isVisible(),
		'new password fields are not visible');
	fs.mkdirSync(SHOT_DIR, { recursive: true });
	await page.screenshot({ path: path.join(SHOT_DIR, 'password-desktop.png'), fullPage: true });
});

step('admin sets a new password and lands on home', async () => {
	const page = adminCtx.pages()[0];
	await page.fill('#password', ADMIN_NEW_PW);
	await page.fill('#confirm', ADMIN_NEW_PW);
	await Promise.all([
		page.waitForURL((u) => u.pathname === '/hub/home'),
		page.getByRole('button', { name: 'Save password' }).click(),
	]);
	await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
	check(await page.getByRole('link', { name: 'Log out' }).isVisible(), 'no "Log out" link on home');
});

step('admin logs out, the one-time password no longer works, the new one does', async () => {
	const page = adminCtx.pages()[0];
	await Promise.all([
		page.waitForURL((u) => u.pathname === '/hub/login'),
		page.getByRole('link', { name: 'Log out' }).click(),
	]);
	const old = await submitLogin(page, hub.base, 'admin', hub.otp);
	check(old.status() === 403, `the spent one-time password got ${old.status()}, expected 403`);
	const resp = await submitLogin(page, hub.base, 'admin', ADMIN_NEW_PW);
	check(resp.status() === 303, `POST /hub/login answered ${resp.status()}, expected 303`);
	check(pathOf(page) === '/hub/home', `landed on ${page.url()}, expected /hub/home`);
	await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
	await adminCtx.close();
	adminCtx = null;
});

step(`hubctl creates the student '${STUDENT}' with a password on stdin`, async () => {
	const r = hubctl(conf, ['user', 'add', STUDENT, '--role', 'student', '--password-stdin'], STUDENT_PW + '\n');
	check(r.status === 0, `hubctl user add exited ${r.status} (signal ${r.signal}):\n${r.stdout}${r.stderr}`);
	const list = hubctl(conf, ['user', 'list']);
	check(list.status === 0 && list.stdout.includes(STUDENT),
		`hubctl user list does not show ${STUDENT}:\n${list.stdout}${list.stderr}`);
});

let studentCtx = null;

step('student with a wrong password: 403 and "Wrong user name or password."', async () => {
	studentCtx = await newContext();
	const page = await studentCtx.newPage();
	const resp = await submitLogin(page, hub.base, STUDENT, STUDENT_PW + 'x');
	check(resp.status() === 403, `wrong password answered ${resp.status()}, expected 403`);
	check(pathOf(page) === '/hub/login', `landed on ${page.url()}, expected /hub/login`);
	const err = page.locator('.error');
	check(await err.isVisible(), 'the .error paragraph is not visible');
	const text = (await err.textContent()).trim();
	check(text === 'Wrong user name or password.', `error text is ${JSON.stringify(text)}`);
	check(await page.inputValue('#username') === STUDENT, 'the user name was not kept in the form');
	check(await page.inputValue('#password') === '', 'the password was echoed back into the form');
});

step('student with the right password sees "Welcome, student1"', async () => {
	const page = studentCtx.pages()[0];
	// The form is already on screen, as after a typo: retype the password only.
	await page.fill('#username', STUDENT);
	await page.fill('#password', STUDENT_PW);
	const [resp] = await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST'),
		page.getByRole('button', { name: 'Log in' }).click(),
	]);
	check(resp.status() === 303, `POST /hub/login answered ${resp.status()}, expected 303`);
	await page.waitForURL((u) => u.pathname === '/hub/home');
	await page.getByRole('heading', { name: `Welcome, ${STUDENT}` }).waitFor();
	const body = (await page.locator('main').textContent()).replace(/\s+/g, ' ').trim();
	check(body.includes('(student)'), 'home does not show the role "student"');
	diag(`home says: ${body.slice(0, 120)}`);
});

step('student logs out: back on the login page, home needs a login again', async () => {
	const page = studentCtx.pages()[0];
	await Promise.all([
		page.waitForURL((u) => u.pathname === '/hub/login'),
		page.getByRole('link', { name: 'Log out' }).click(),
	]);
	await page.getByRole('button', { name: 'Log in' }).waitFor();
	await page.goto(hub.base + '/hub/home');
	check(pathOf(page) === '/hub/login', `after logout /hub/home shows ${page.url()}, expected the login page`);
	await studentCtx.close();
	studentCtx = null;
});

step('login page on a phone (375x667): no horizontal scroll, fields visible; screenshot', async () => {
	const ctx = await newContext({
		viewport: { width: 375, height: 667 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
	});
	try {
		const page = await ctx.newPage();
		await page.goto(hub.base + '/hub/login');
		const m = await page.evaluate(() => ({
			scrollW: document.documentElement.scrollWidth,
			clientW: document.documentElement.clientWidth,
			bodyW: document.body.scrollWidth,
			css: getComputedStyle(document.querySelector('button')).backgroundColor,
		}));
		check(m.scrollW <= m.clientW && m.bodyW <= m.clientW,
			`horizontal scroll: scrollWidth ${m.scrollW}/${m.bodyW} > clientWidth ${m.clientW}`);
		check(m.css !== 'rgba(0, 0, 0, 0)' && m.css !== 'rgb(239, 239, 239)',
			`the stylesheet seems not applied (button background ${m.css})`);
		for (const sel of ['#username', '#password', 'button[type=submit]']) {
			const el = page.locator(sel);
			check(await el.isVisible(), `${sel} is not visible`);
			const b = await el.boundingBox();
			check(b && b.x >= 0 && b.x + b.width <= m.clientW + 0.5 && b.y + b.height <= 667,
				`${sel} is not inside the first screen: ${JSON.stringify(b)}`);
			check(b.height >= 32, `${sel} is only ${b.height}px tall, hard to tap`);
		}
		fs.mkdirSync(SHOT_DIR, { recursive: true });
		const shot = path.join(SHOT_DIR, 'login-phone.png');
		await page.screenshot({ path: shot, fullPage: true });
		diag(`screenshot: ${shot}`);
		// The error state too, for whoever looks at the pictures.
		await page.fill('#username', STUDENT);
		await page.fill('#password', 'not-the-password');
		await Promise.all([
			page.waitForResponse((r) => r.request().method() === 'POST'),
			page.getByRole('button', { name: 'Log in' }).click(),
		]);
		await page.waitForLoadState('load');
		const scrollW = await page.evaluate(() => document.documentElement.scrollWidth);
		check(scrollW <= m.clientW, `horizontal scroll with the error shown: ${scrollW} > ${m.clientW}`);
		await page.screenshot({ path: path.join(SHOT_DIR, 'login-error-phone.png'), fullPage: true });
		// And home, logged in.
		await page.fill('#password', STUDENT_PW);
		await Promise.all([
			page.waitForURL((u) => u.pathname === '/hub/home'),
			page.getByRole('button', { name: 'Log in' }).click(),
		]);
		const homeW = await page.evaluate(() => document.documentElement.scrollWidth);
		check(homeW <= m.clientW, `horizontal scroll on home: ${homeW} > ${m.clientW}`);
		await page.screenshot({ path: path.join(SHOT_DIR, 'home-phone.png'), fullPage: true });
	} finally {
		await ctx.close();
	}
});

step('login works with JavaScript disabled', async () => {
	const ctx = await newContext({ javaScriptEnabled: false });
	try {
		const page = await ctx.newPage();
		const bad = await submitLogin(page, hub.base, STUDENT, 'wrong-password');
		check(bad.status() === 403, `wrong password answered ${bad.status()}, expected 403`);
		const resp = await submitLogin(page, hub.base, STUDENT, STUDENT_PW);
		check(resp.status() === 303, `POST /hub/login answered ${resp.status()}, expected 303`);
		check(pathOf(page) === '/hub/home', `landed on ${page.url()}, expected /hub/home`);
		await page.getByRole('heading', { name: `Welcome, ${STUDENT}` }).waitFor();
		// Page scripts really are off in this context.
		await page.setContent('<p id=x>a</p><script>document.getElementById("x").textContent="b"</script>');
		check(await page.textContent('#x') === 'a', 'JavaScript ran although it was disabled');
	} finally {
		await ctx.close();
	}
});

step('hubd stops cleanly on SIGTERM', async () => {
	if (browser) await withTimeout(browser.close(), 10_000, 'closing Chromium').catch(() => {});
	browser = null;
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
			await withTimeout(s.fn(), 60_000, 'step');
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
	if (failed && hubdErr) diag('hubd stderr:\n' + hubdErr.trimEnd());
	// Clean up whatever a failure left behind.
	if (browser) await withTimeout(browser.close(), 10_000, 'closing Chromium').catch(() => {});
	await stopHubd();
	removeTmp();
	return failed;
}

main().then(
	(failed) => process.exit(failed ? 1 : 0),
	(e) => { console.log('Bail out! ' + ((e && e.stack) || e)); process.exit(1); },
);
