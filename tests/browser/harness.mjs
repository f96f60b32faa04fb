// Shared by xss.test.mjs and instructor.test.mjs: the same approach as
// notebook.test.mjs (which stays self-contained), packaged once.  A real
// hubd on a free loopback port with its own temp dir, hubctl, the servers
// table read with Debian's python3, students' servers ended by the pid and
// start time the hub recorded (and their cgroup), Chromium through
// playwright-core, a TAP runner with a watchdog over the whole test.
//
// Environment (set by `make check`): HUBD_BUILDDIR, HUBD_SRCDIR,
// HUBD_CHROMIUM, and HUBD_DEBUG (print the whole hubd log even on success).

import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SRCDIR = path.resolve(process.env.HUBD_SRCDIR || path.join(HERE, '..', '..'));
export const BUILDDIR = path.resolve(process.env.HUBD_BUILDDIR || process.cwd());
export const CHROMIUM = process.env.HUBD_CHROMIUM || '/usr/bin/chromium';
export const HUBD = path.join(BUILDDIR, 'hubd', 'hubd');
export const HUBCTL = path.join(BUILDDIR, 'hubd', 'hubctl');
export const SPAWNER = path.join(BUILDDIR, 'spawner', 'hubd-spawner');
export const WEB_DIR = path.join(SRCDIR, 'web');
export const NODE_DIR = path.join(SRCDIR, 'tests', 'browser');
export const SHOT_DIR = path.join(BUILDDIR, 'tests', 'browser');
export const JUPYTER = '/usr/bin/jupyter-notebook';
export const PYTHON = '/usr/bin/python3';

export class Fail extends Error {}
export function check(cond, msg) { if (!cond) throw new Fail(msg); }
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const withTimeout = (p, ms, what) => Promise.race([
	p,
	new Promise((_, rej) => setTimeout(() => rej(new Fail(`${what}: no answer in ${ms} ms`)), ms).unref()),
]);
export const diag = (text) => {
	for (const line of String(text).split('\n')) console.log('# ' + line);
};
export const pathOf = (page) => new URL(page.url()).pathname;
export const randomPw = (p) => p + '-' + Math.random().toString(36).slice(2, 12);

// Field 22 of /proc/PID/stat (start time in clock ticks), or null.
export function procStart(pid) {
	try {
		const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[19]);
	} catch { return null; }
}
export const sameProcess = (pid, start) => pid > 0 && procStart(pid) === Number(start);

// Pids of the processes in a server's cgroup (its name is unique to that
// start of that server).
export function procsIn(cgroup) {
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

// One hub per test process.  opts: { tag, wholeMs, serverConf }
export function makeHub(opts) {
	const H = {
		hubd: null, hubdErr: '', hubdOut: '', browser: null, chromium: null,
		tmpDir: null, dataDir: null, conf: null, base: null,
		tokens: {},		// name -> API token (hubctl token add)
		browserLog: [],
		steps: [], exiting: false,
		cleanups: [],		// extra async clean-ups (files outside tmpDir)
	};

	H.step = (name, fn, ms = 60_000) => H.steps.push({ name, fn, ms });
	H.alive = () => H.hubd && H.hubd.exitCode === null && H.hubd.signalCode === null;
	H.killHubd = () => {
		if (H.alive()) { try { H.hubd.kill('SIGKILL'); } catch { /* gone */ } }
	};

	H.serverRows = () => {
		if (!H.dataDir) return [];
		const db = path.join(H.dataDir, 'hubd.sqlite');
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
	};
	H.userNames = () => {
		const db = path.join(H.dataDir, 'hubd.sqlite');
		const r = spawnSync(PYTHON, ['-c', `
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=5)
print(json.dumps([r[0] for r in c.execute("SELECT name FROM users")]))
`, db], { encoding: 'utf8', timeout: 10_000 });
		if (r.status !== 0) throw new Fail(`reading ${db}: ${r.stderr || r.error}`);
		return JSON.parse(r.stdout);
	};

	// Servers outlive hubd by design: end ours by pid + start time, and
	// whatever is still in their cgroups.
	H.killServers = () => {
		let rows = [];
		try { rows = H.serverRows(); } catch { return; }
		for (const r of rows) {
			if (sameProcess(r.pid, r.starttime)) {
				try { process.kill(r.pid, 'SIGKILL'); } catch { /* gone */ }
			}
			for (const pid of r.cgroup ? procsIn(r.cgroup) : []) {
				try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
			}
		}
	};
	H.removeTmp = () => {
		if (H.tmpDir) {
			try { fs.rmSync(H.tmpDir, { recursive: true, force: true }); } catch { /* best effort */ }
			H.tmpDir = null;
		}
	};
	H.stopHubd = async () => {
		if (!H.alive()) return H.hubd ? { code: H.hubd.exitCode, sig: H.hubd.signalCode } : null;
		const exited = new Promise((res) => H.hubd.once('exit', (code, sig) => res({ code, sig })));
		H.hubd.kill('SIGTERM');
		try {
			return await withTimeout(exited, 10_000, 'hubd after SIGTERM');
		} catch {
			H.killHubd();
			return { code: null, sig: 'SIGKILL (did not stop on SIGTERM)' };
		}
	};

	H.api = async (method, p, name, body, ms = 10_000) => {
		const headers = { Authorization: `token ${H.tokens[name]}` };
		if (body !== undefined) headers['Content-Type'] = 'application/json';
		const r = await fetch(H.apiBase + p, {
			method, headers, body: body === undefined ? undefined : JSON.stringify(body),
			redirect: 'manual', signal: AbortSignal.timeout(ms),
		});
		const text = await r.text();
		let json = null;
		try { json = JSON.parse(text); } catch { /* not JSON */ }
		return { status: r.status, text, json, headers: r.headers };
	};

	// A request from Node with the Host header of host (a name Node
	// cannot resolve) to the hub's address, as it is: no redirects.
	H.hostRequest = (method, p, host, headers = {}, body = undefined) => new Promise((res, rej) => {
		const req = http.request({ host: '127.0.0.1', port: H.port, method, path: p,
			headers: { Host: host, ...headers }, timeout: 10_000 }, (r) => {
			let text = '';
			r.setEncoding('utf8');
			r.on('data', (d) => { text += d; });
			r.on('end', () => res({ status: r.statusCode, headers: r.headers, text }));
		});
		req.on('error', rej);
		req.on('timeout', () => req.destroy(new Error('timeout')));
		if (body !== undefined) req.write(body);
		req.end();
	});
	H.cookieHeader = async (ctx, url) => (await ctx.cookies(url)).map((c) => `${c.name}=${c.value}`).join('; ');

	// Stop NAMEs' servers the polite way (API with their token), bounded;
	// true when the database says all stopped.
	H.stopServers = async (names, ms) => {
		if (!H.alive()) return false;
		await Promise.all(names.map((n) => H.tokens[n] &&
			H.api('DELETE', `/hub/api/users/${n}/server`, n, undefined, 5000).catch(() => {})));
		const deadline = Date.now() + ms;
		while (Date.now() < deadline) {
			const rows = H.serverRows().filter((r) => names.includes(r.name));
			if (rows.every((r) => r.state === 'stopped' || r.state === 'failed') &&
				rows.every((r) => !sameProcess(r.pid, r.starttime))) return true;
			await sleep(200);
		}
		return false;
	};

	H.dumpLogs = () => {
		if (H.browserLog.length) diag('browser saw:\n' + H.browserLog.slice(-40).join('\n'));
		if (H.hubdErr) diag('hubd log (last 60 lines):\n' + H.hubdErr.trimEnd().split('\n').slice(-60).join('\n'));
	};

	H.emergencyExit = async (msg) => {
		if (H.exiting) return;
		H.exiting = true;
		console.log(`Bail out! ${msg}`);
		H.dumpLogs();
		const b = H.browser;
		H.browser = null;
		if (b) await withTimeout(b.close(), 5000, 'closing Chromium').catch(() => {});
		await H.stopServers(Object.keys(H.tokens), 5000).catch(() => {});
		await H.stopHubd().catch(() => {});
		for (const c of H.cleanups) { try { await c(); } catch { /* best effort */ } }
		process.exit(1);	// the exit handler kills what is left
	};
	process.on('exit', () => { H.killHubd(); H.killServers(); H.removeTmp(); });
	for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
		process.on(sig, () => H.emergencyExit(`killed by ${sig}`));
	}
	setTimeout(() => H.emergencyExit(`the whole test took more than ${opts.wholeMs / 1000} s`),
		opts.wholeMs).unref();

	// Prerequisites: a failure, never a skip.
	H.prerequisites = (needJupyter) => {
		check(process.getuid() === 0, 'this test runs as root (hubd drops to the user hubd, ' +
			'students\' homes are theirs, mode 0700)');
		const req = createRequire(path.join(NODE_DIR, 'package.json'));
		try {
			({ chromium: H.chromium } = req('playwright-core'));
		} catch (e) {
			throw new Fail(`playwright-core not found under ${NODE_DIR}/node_modules ` +
				`(${e.code || e.message}).\nInstall it with: npm ci --prefix ${NODE_DIR}`);
		}
		check(fs.existsSync(CHROMIUM),
			`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set HUBD_CHROMIUM`);
		if (needJupyter) {
			check(fs.existsSync(JUPYTER),
				`no ${JUPYTER}: install Debian's package (apt-get install jupyter-notebook)`);
		}
		check(fs.existsSync(PYTHON), `no ${PYTHON}: install Debian's python3`);
		for (const f of [HUBD, HUBCTL, SPAWNER]) {
			check(fs.existsSync(f), `${f} is missing: build it (make) or set HUBD_BUILDDIR`);
		}
		check(fs.existsSync(path.join(WEB_DIR, 'templates', 'course.html')),
			`${WEB_DIR} has no templates/course.html: set HUBD_SRCDIR`);
		fs.mkdirSync(SHOT_DIR, { recursive: true });
	};

	H.startHubd = async () => {
		H.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), `hubd-${opts.tag}-`));
		fs.chmodSync(H.tmpDir, 0o755);	// hubd re-reads its config as its own user
		H.conf = path.join(H.tmpDir, 'hubd.conf');
		if (spawnSync('id', ['hubd']).status !== 0) {
			const r = spawnSync('useradd', ['--system', '--no-create-home', '--shell',
				'/usr/sbin/nologin', 'hubd'], { encoding: 'utf8' });
			check(r.status === 0, `useradd hubd: ${r.stderr}`);
		}
		let lastErr = null;
		for (let attempt = 0; attempt < 3 && !H.base; attempt++) {
			const port = await freePort();
			H.dataDir = path.join(H.tmpDir, `data${attempt}`);
			fs.writeFileSync(H.conf,
				`[hub]\nlisten = 127.0.0.1:${port}\ndata_dir = ${H.dataDir}\nweb_dir = ${WEB_DIR}\n` +
				`spawner = ${SPAWNER}\nuser = hubd\nlog_level = debug\n` +
				(opts.userDomain ? `user_domain = ${opts.userDomain}\n` : '') +
				`[server]\nhomes = ${H.tmpDir}/homes\nsockets = ${H.tmpDir}/sockets\n` +
				(opts.serverConf || ''));
			try {
				H.apiBase = await startOnce(port);
				// With per-user origins the browser uses names (Chromium
				// resolves *.localhost to loopback itself); Node uses the
				// address.
				H.port = port;
				H.base = opts.hubHost ? `http://${opts.hubHost}:${port}` : H.apiBase;
			} catch (e) {
				lastErr = e;
				await H.stopHubd();
				diag(`attempt ${attempt + 1} on port ${port}: ${e.message}`);
			}
		}
		if (!H.base) throw lastErr;
		diag(`hubd at ${H.base}, temp dir ${H.tmpDir}`);
	};
	async function startOnce(port) {
		const child = spawn(HUBD, ['--config', H.conf], { stdio: ['ignore', 'pipe', 'pipe'] });
		H.hubd = child;
		H.hubdErr = '';
		child.stderr.setEncoding('utf8');
		child.stderr.on('data', (d) => { H.hubdErr += d; });
		child.stdout.setEncoding('utf8');
		child.stdout.on('data', (d) => { H.hubdOut += d; });
		const url = `http://127.0.0.1:${port}`;
		const deadline = Date.now() + 15_000;
		for (;;) {
			try {
				const r = await fetch(url + '/hub/health', { signal: AbortSignal.timeout(2000) });
				if (r.status === 200) return url;
			} catch { /* not listening yet */ }
			if (!H.alive()) throw new Fail(`hubd exited (code ${child.exitCode}, signal ${child.signalCode})`);
			if (Date.now() > deadline) throw new Fail(`hubd does not answer on ${url}/hub/health`);
			await sleep(100);
		}
	}

	H.hubctl = (args, input) => {
		const r = spawnSync(HUBCTL, ['--config', H.conf, ...args], {
			input, encoding: 'utf8', timeout: 30_000,
		});
		if (r.error) throw r.error;
		return r;
	};
	H.hubctlOk = (args, input) => {
		const r = H.hubctl(args, input);
		check(r.status === 0, `hubctl ${args.join(' ')} exited ${r.status} (signal ${r.signal}):\n${r.stdout}${r.stderr}`);
		return r.stdout;
	};
	H.addUser = (name, role, pw, token = true) => {
		H.hubctlOk(['user', 'add', name, '--role', role, '--password-stdin'], pw + '\n');
		if (token) {
			const t = H.hubctlOk(['token', 'add', name]).trim();
			check(/^\S{16,}$/.test(t), `hubctl token add ${name} printed ${JSON.stringify(t)}`);
			H.tokens[name] = t;
		}
	};

	H.launch = async () => {
		H.browser = await H.chromium.launch({
			executablePath: CHROMIUM,
			headless: true,
			timeout: 30_000,
			handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
			args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
				'--disable-background-networking', '--disable-component-update', '--disable-sync'],
		});
		diag(`Chromium ${H.browser.version()}`);
	};
	H.newContext = async (label, ctxOpts = {}) => {
		const ctx = await H.browser.newContext({ viewport: { width: 1280, height: 800 }, ...ctxOpts });
		ctx.setDefaultTimeout(15_000);
		ctx.setDefaultNavigationTimeout(15_000);
		ctx.on('page', (p) => H.watchPage(p, label));
		return ctx;
	};
	H.watchPage = (page, label) => {
		page.on('response', (r) => {
			if (r.status() >= 400)
				H.browserLog.push(`${label}: ${r.status()} ${r.request().method()} ${r.url()}`);
		});
		page.on('requestfailed', (r) => {
			const why = r.failure() ? r.failure().errorText : '?';
			H.browserLog.push(`${label}: failed ${r.method()} ${r.url()}: ${why}`);
		});
		page.on('pageerror', (e) => H.browserLog.push(`${label}: page error: ${e.message}`));
		page.on('console', (m) => {
			if (m.type() === 'error') H.browserLog.push(`${label}: console: ${m.text()}`);
		});
	};
	// The login page, as a person uses it; lands on /hub/home.
	H.login = async (page, name, pw) => {
		await page.goto(H.base + '/hub/login');
		await page.fill('#username', name);
		await page.fill('#password', pw);
		const [resp] = await Promise.all([
			page.waitForResponse((r) => r.request().method() === 'POST' &&
				new URL(r.url()).pathname === '/hub/login'),
			page.getByRole('button', { name: 'Log in' }).click(),
		]);
		check(resp.status() === 303, `POST /hub/login as ${name} answered ${resp.status()}, expected 303`);
		await page.waitForURL((u) => u.pathname === '/hub/home');
	};

	// Wait until the API says NAMEs' servers are ready (or failed); the
	// user models.
	H.waitRunning = async (names, ms) => {
		const deadline = Date.now() + ms;
		let models = {};
		for (;;) {
			models = {};
			for (const n of names) {
				const r = await H.api('GET', `/hub/api/users/${n}`, n);
				models[n] = r.json;
			}
			const rows = H.serverRows();
			const st = names.map((n) => (rows.find((r) => r.name === n) || {}).state);
			if (st.every((s) => s === 'running')) return rows;
			if (st.some((s) => s === 'failed')) {
				throw new Fail(`a server failed: ${JSON.stringify(rows)}`);
			}
			if (Date.now() > deadline) {
				throw new Fail(`after ${ms / 1000} s the servers are ${JSON.stringify(rows)}; models ${JSON.stringify(models).slice(0, 600)}`);
			}
			await sleep(250);
		}
	};

	H.run = async () => {
		console.log(`1..${H.steps.length}`);
		let failed = 0;
		let broken = null;
		for (const [i, s] of H.steps.entries()) {
			const n = i + 1;
			if (H.exiting) break;
			if (broken && !s.always) {
				console.log(`not ok ${n} - ${s.name}`);
				diag(`not run: step ${broken} failed`);
				failed++;
				continue;
			}
			try {
				await withTimeout(s.fn(), s.ms, 'step');
				console.log(`ok ${n} - ${s.name}`);
			} catch (e) {
				if (H.exiting) break;
				console.log(`not ok ${n} - ${s.name}`);
				diag(e instanceof Fail ? e.message : (e && e.stack) || String(e));
				failed++;
				if (!broken) broken = n;
			}
		}
		if (H.exiting) return new Promise(() => {});
		if (failed) H.dumpLogs();
		if (process.env.HUBD_DEBUG) {
			diag('browser saw:\n' + H.browserLog.join('\n'));
			diag('hubd log:\n' + H.hubdErr.trimEnd());
		}
		if (H.browser) await withTimeout(H.browser.close(), 10_000, 'closing Chromium').catch(() => {});
		H.browser = null;
		if (H.alive()) await H.stopServers(Object.keys(H.tokens), 15_000).catch(() => {});
		await H.stopHubd();
		for (const c of H.cleanups) { try { await c(); } catch { /* best effort */ } }
		H.killServers();
		H.removeTmp();
		return failed;
	};
	// A step that runs even after an earlier one failed (clean-up checks).
	H.finalStep = (name, fn, ms = 60_000) => H.steps.push({ name, fn, ms, always: true });
	H.main = () => H.run().then(
		(failed) => process.exit(failed ? 1 : 0),
		(e) => { console.log('Bail out! ' + ((e && e.stack) || e)); process.exit(1); },
	);
	return H;
}
