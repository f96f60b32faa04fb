#!/usr/bin/env node
// Issue 5, "Cross-user script", in a real browser.  Student A's Jupyter
// server serves HTML that A wrote; when someone else opens it (an admin, or
// an instructor of a course A and B are enrolled in) its script tries to act
// as that viewer: read the hub API, scrape the hub's XSRF token from
// /hub/home and create a user with it, read student B's server (status,
// contents with B's secret file), open a websocket to B's kernel and run code
// there, read document.cookie, read the hub in an iframe.  It reports what it
// got by writing into its own page (title + <pre>), never by calling out.
//
// The page is served two ways:
//  - /user/A/files/evil.html (written through Jupyter's contents API, PUT
//    from A's browser with the hub origin): Jupyter already confines /files/
//    with its own "Content-Security-Policy: sandbox allow-scripts";
//  - /user/A/nbextensions/evil.html (A's kernel copies it to
//    ~/.local/share/jupyter/nbextensions/, as any student can): Jupyter
//    serves that without a sandbox, so only hubd's own
//    "Content-Security-Policy: sandbox ..." for viewers other than the owner
//    stands between A's script and the viewer's session.
// The hub runs with per-user origins (user_domain = users.localhost, the hub
// at hub.localhost): a viewer is sent to A's own origin, where A's script
// cannot reach the hub or B (another origin), and Jupyter's tree works.
// Control: A opening the nbextensions page sees its script run in the hub's
// origin (it reads A's own /user/A/api/status and the XSRF meta of
// /hub/home), which proves the probe would see a leak.  Positive check for
// the viewers: without the page, the admin and the instructor can read B's
// secret themselves, so the data was there to steal.
// Prints TAP; exits non-zero on any failure (missing prerequisites too).

import fs from 'node:fs';
import path from 'node:path';
import { makeHub, check, diag, sleep, randomPw, procsIn, SHOT_DIR } from './harness.mjs';

// Per-user origins: the hub at hub.localhost, each student's server for
// others at NAME.users.localhost (Chromium resolves *.localhost itself).
const H = makeHub({ tag: 'xss', wholeMs: 175_000, hubHost: 'hub.localhost', userDomain: 'users.localhost' });
const userOrigin = (n) => `http://${n}.users.localhost:${H.port}`;
const A = 'xsa';			// the author of the page
const B = 'xsb';			// the other student, the target
const ADMIN = 'xsadmin';
const INS = 'xsteach';			// instructor of c1 (A and B study in it)
const COURSE = 'c1';
const PW = { [A]: randomPw('a'), [B]: randomPw('b'), [ADMIN]: randomPw('adm'), [INS]: randomPw('ins') };
const SECRET = 'B-SECRET-' + Math.random().toString(36).slice(2, 12);
const SECRET_FILE = 'secret-of-b.txt';
const PWNED = 'pwned-by-a.txt';		// what the page's websocket tries to write in B's home
const MADE_USERS = ['x', 'xsimple'];	// what the page tries to create

let kernelB = null;	// id of a kernel running in B's server (given to the page: worst case)
let homeB = null;	// B's home on disk
let evilHtml = null;

// ------------------------------------------------------------ the page ----

// Runs in the viewer's browser.  Every attempt is bounded and recorded;
// the summary lands in <pre id="out"> and the title becomes "xss-done".
function probe(cfg) {
	const out = { origin: String(self.origin), href: location.href, attempts: {} };
	const T = (p, ms = 5000) => Promise.race([p, new Promise((_, rej) =>
		setTimeout(() => rej(new Error('timeout')), ms))]);
	async function tryFetch(name, url, init = {}) {
		const rec = { url, method: init.method || 'GET', credentials: init.credentials || 'same-origin' };
		try {
			const r = await T(fetch(url, init));
			rec.status = r.status; rec.type = r.type; rec.ok = r.ok; rec.redirected = r.redirected;
			rec.finalUrl = r.url;
			try { rec.text = (await T(r.text())).slice(0, 20000); } catch (e) { rec.textError = String(e); }
		} catch (e) { rec.error = String(e); }
		out.attempts[name] = rec;
		return rec;
	}
	(async () => {
		try { out.cookie = { value: document.cookie }; } catch (e) { out.cookie = { error: String(e) }; }
		try { localStorage.setItem('xss', '1'); out.storage = 'usable'; } catch (e) { out.storage = String(e); }
		for (const cred of ['include', 'same-origin']) {
			await tryFetch(`hub-users-${cred}`, '/hub/api/users', { credentials: cred });
			await tryFetch(`b-status-${cred}`, `/user/${cfg.B}/api/status`, { credentials: cred });
			await tryFetch(`b-contents-${cred}`, `/user/${cfg.B}/api/contents`, { credentials: cred });
		}
		await tryFetch('own-status', `/user/${cfg.A}/api/status`, { credentials: 'include' });
		// The hub's origin and B's host, by absolute address.
		if (cfg.hub) {
			await tryFetch('hub-abs-users', `${cfg.hub}/hub/api/users`, { credentials: 'include' });
			await tryFetch('hub-abs-b-contents', `${cfg.hub}/user/${cfg.B}/api/contents`, { credentials: 'include' });
			await tryFetch('b-host-contents', `${cfg.bHost}/user/${cfg.B}/api/contents`, { credentials: 'include' });
			await tryFetch('hub-abs-create', `${cfg.hub}/hub/api/users/xsimple`, {
				method: 'POST', credentials: 'include', mode: 'no-cors',
				headers: { 'Content-Type': 'text/plain' }, body: '{}',
			});
		}
		const home = await tryFetch('hub-home', '/hub/home', { credentials: 'include' });
		const m = /<meta name="xsrf" content="([0-9a-f]+)"/.exec(home.text || '') ||
			/name="_xsrf" value="([0-9a-f]+)"/.exec(home.text || '');
		out.xsrf = m ? m[1] : null;
		await tryFetch('create-x', '/hub/api/users/x', {
			method: 'POST', credentials: 'include',
			headers: { 'Content-Type': 'application/json', 'X-XSRFToken': out.xsrf || 'none' },
			body: '{}',
		});
		// A "simple" request: no preflight, sent for sure; no XSRF header.
		await tryFetch('create-xsimple', '/hub/api/users/xsimple', {
			method: 'POST', credentials: 'include', mode: 'no-cors',
			headers: { 'Content-Type': 'text/plain' }, body: '{}',
		});
		// B's kernel: open the websocket, run code that writes a file in B's home.
		out.ws = await new Promise((res) => {
			const rec = { opened: false, messages: 0, first: null };
			let ws;
			try {
				const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
				ws = new WebSocket(`${scheme}://${location.host}/user/${cfg.B}/api/kernels/${cfg.kernel}/channels?session_id=evil`);
			} catch (e) { rec.error = String(e); res(rec); return; }
			const done = () => { try { ws.close(); } catch { /* */ } res(rec); };
			const timer = setTimeout(done, 6000);
			ws.onopen = () => {
				rec.opened = true;
				ws.send(JSON.stringify({
					header: { msg_id: 'evil-1', username: 'evil', session: 'evil', msg_type: 'execute_request',
						version: '5.3', date: new Date().toISOString() },
					parent_header: {}, metadata: {}, channel: 'shell',
					content: { code: `open(__import__('os').path.expanduser('~/${cfg.pwned}'),'w').write('x')`,
						silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true },
				}));
			};
			ws.onmessage = (e) => { rec.messages++; if (!rec.first) rec.first = String(e.data).slice(0, 300); };
			ws.onerror = () => { rec.errored = true; };
			ws.onclose = (e) => { rec.closeCode = e.code; clearTimeout(timer); res(rec); };
		});
		// The hub in a frame: can the page read it?
		out.frame = await new Promise((res) => {
			const f = document.createElement('iframe');
			f.src = '/hub/home';
			const look = () => {
				try {
					const d = f.contentDocument;
					if (!d) { res({ readable: false, why: 'no contentDocument' }); return; }
					const meta = d.querySelector('meta[name="xsrf"]');
					res({ readable: true, url: String(d.location), xsrf: meta ? meta.content : null });
				} catch (e) { res({ readable: false, why: String(e) }); }
			};
			f.onload = look;
			setTimeout(look, 4000);
			document.body.appendChild(f);
		});
		document.getElementById('out').textContent = JSON.stringify(out, null, 1);
		document.title = 'xss-done';
	})().catch((e) => { document.getElementById('out').textContent = 'probe broke: ' + e; document.title = 'xss-broken'; });
}

function pageHtml() {
	const cfg = { A, B, kernel: kernelB, pwned: PWNED, hub: H.base, bHost: userOrigin(B) };
	return `<!doctype html>\n<html><head><meta charset="utf-8"><title>xss-running</title></head>\n` +
		`<body><h1>A's page</h1><pre id="out">running</pre>\n` +
		`<script>(${probe.toString()})(${JSON.stringify(cfg)});</script></body></html>\n`;
}

// ------------------------------------------------------------ checks ----

const isSuccess = (a) => a && !a.error && a.type !== 'opaque' && a.ok === true;

// What A's script got when someone else opened the page: nothing.
async function viewerChecks(who, page, url, ctx) {
	// What the page's own requests carried (Chromium's raw headers).
	const sent = [];
	const onReq = (req) => {
		if (req.isNavigationRequest() && req.frame() === page.mainFrame()) return;
		sent.push(req.headerValue('cookie').then((c) => ({ url: req.url(), method: req.method(), cookie: c || '' }),
			() => ({ url: req.url(), method: req.method(), cookie: '' })));
	};
	page.on('request', onReq);
	const resp = await page.goto(H.base + url);
	check(resp.status() === 200, `${who}: GET ${url} answered ${resp.status()}`);
	// Sent to A's own origin through the ticket; no sandbox needed there.
	check(new URL(page.url()).origin === userOrigin(A) && new URL(page.url()).pathname === url,
		`${who}: ${url} ended at ${page.url()}, not on ${userOrigin(A)}`);
	const csp = (await resp.headerValue('content-security-policy')) || '';
	check(!/allow-same-origin/.test(csp), `${who}: the CSP allows same-origin: ${csp}`);
	await page.waitForFunction(() => /^xss-(done|broken)$/.test(document.title), null, { timeout: 45_000 });
	const text = await page.locator('#out').textContent();
	check((await page.title()) === 'xss-done', `${who}: the page's probe broke: ${text}`);
	const out = JSON.parse(text);
	const cookies = await ctx.cookies(H.base);
	const secrets = [SECRET, ...cookies.map((c) => c.value).filter((v) => v.length >= 16)];
	const leaks = [];
	for (const [name, a] of Object.entries(out.attempts)) {
		// A's script reading A's own server: the viewer came to see it.
		if (isSuccess(a) && name !== 'own-status') leaks.push(`${name}: ${a.method} ${a.url} -> ${a.status}`);
		for (const s of secrets) {
			if ((a.text || '').includes(s)) leaks.push(`${name}: its body holds a secret`);
		}
		if ((a.text || '').includes(`"name": "${B}"`) || (a.text || '').includes(`"name":"${B}"`)) {
			leaks.push(`${name}: its body names ${B}`);
		}
	}
	if (out.origin !== 'null' && out.origin !== userOrigin(A)) leaks.push(`the page runs in origin ${out.origin}`);
	if (out.xsrf) leaks.push(`the page scraped the hub's XSRF token ${out.xsrf}`);
	if (out.cookie.value && secrets.some((s) => out.cookie.value.includes(s))) {
		leaks.push(`document.cookie holds the viewer's cookies: ${out.cookie.value}`);
	}
	if (out.ws.opened || out.ws.messages) leaks.push(`B's kernel websocket: ${JSON.stringify(out.ws)}`);
	// On A's host /hub/home is A's own 404; the hub's page is what counts.
	if (out.frame.readable && (out.frame.xsrf || !String(out.frame.url).startsWith(userOrigin(A)))) {
		leaks.push(`the hub in a frame was readable: ${JSON.stringify(out.frame)}`);
	}
	diag(`${who} on ${url}: origin ${out.origin}; cookie ${JSON.stringify(out.cookie)}; ` +
		`websocket ${JSON.stringify(out.ws)}; frame ${JSON.stringify(out.frame)}`);
	for (const [name, a] of Object.entries(out.attempts)) {
		diag(`  ${name}: ${a.error ? a.error : `${a.status} ${a.type}${a.redirected ? ' redirected to ' + a.finalUrl : ''}`}`);
	}
	page.off('request', onReq);
	const reqs = await Promise.all(sent);
	const viewerCookies = cookies.filter((c) => c.value.length >= 16).map((c) => c.value);
	const withCookie = reqs.filter((r) => viewerCookies.some((v) => r.cookie.includes(v)));
	diag(`  ${reqs.length} requests from the page, ${withCookie.length} with the viewer's cookies`);
	for (const r of withCookie) leaks.push(`${r.method} ${r.url} went out with the viewer's cookies`);
	check(reqs.length >= 8, `${who}: only ${reqs.length} requests seen from the page: ${JSON.stringify(reqs)}`);
	check(!leaks.length, `${who}: A's page acted as the viewer:\n${leaks.join('\n')}`);
	return out;
}

async function nothingHappened(who) {
	await sleep(500);
	for (const u of MADE_USERS) {
		const r = await H.api('GET', `/hub/api/users/${u}`, ADMIN);
		check(r.status === 404, `${who}: GET /hub/api/users/${u} answered ${r.status}: the page created a user`);
	}
	check(!H.userNames().some((n) => MADE_USERS.includes(n)), `${who}: a user was created: ${H.userNames()}`);
	check(!fs.existsSync(path.join(homeB, PWNED)), `${who}: ${PWNED} is in B's home: B's kernel ran A's code`);
}

// ------------------------------------------------------------- steps ----

let ctxA = null;
let pageA = null;

H.step('prerequisites: playwright-core, Chromium, Jupyter Notebook, hubd, hubctl, spawner; root', async () => {
	H.prerequisites(true);
	for (const f of fs.readdirSync(SHOT_DIR)) {
		if (/^xss-.*\.png$/.test(f)) fs.rmSync(path.join(SHOT_DIR, f), { force: true });
	}
});

H.step('hubd starts with its own temp dir on a free loopback port', () => H.startHubd());

H.step(`hubctl: students ${A} and ${B}, admin ${ADMIN}, course ${COURSE} taught by ${INS} with ${A} and ${B}`, async () => {
	H.addUser(A, 'student', PW[A]);
	H.addUser(B, 'student', PW[B]);
	H.addUser(ADMIN, 'admin', PW[ADMIN]);
	H.addUser(INS, 'instructor', PW[INS], false);
	H.hubctlOk(['course', 'add', COURSE, '--title', 'Course one']);
	H.hubctlOk(['course', 'enroll', COURSE, INS, '--role', 'instructor']);
	H.hubctlOk(['course', 'enroll', COURSE, A, '--role', 'student']);
	H.hubctlOk(['course', 'enroll', COURSE, B, '--role', 'student']);
});

H.step('both students\' Jupyter servers start (API, their tokens)', async () => {
	for (const n of [A, B]) {
		const r = await H.api('POST', `/hub/api/users/${n}/server`, n);
		check(r.status === 201 || r.status === 202, `POST /hub/api/users/${n}/server answered ${r.status}: ${r.text}`);
	}
	const rows = await H.waitRunning([A, B], 90_000);
	const rb = rows.find((r) => r.name === B);
	homeB = path.join(H.tmpDir, 'homes', String(rb.uid));
	check(fs.existsSync(homeB), `B's home ${homeB} is not there`);
}, 100_000);

H.step(`${B} has a secret file and a running kernel (through the proxy, B's token)`, async () => {
	const put = await H.api('PUT', `/user/${B}/api/contents/${SECRET_FILE}`, B,
		{ type: 'file', format: 'text', content: SECRET });
	check(put.status === 201 || put.status === 200, `PUT ${SECRET_FILE} as ${B} answered ${put.status}: ${put.text}`);
	check(fs.readFileSync(path.join(homeB, SECRET_FILE), 'utf8') === SECRET, 'the secret is not in B\'s home');
	const k = await H.api('POST', `/user/${B}/api/kernels`, B, { name: 'python3' }, 30_000);
	check(k.status === 201 && k.json && k.json.id, `POST /user/${B}/api/kernels answered ${k.status}: ${k.text}`);
	kernelB = k.json.id;
	evilHtml = pageHtml();
});

H.step('Chromium starts', () => H.launch());

H.step(`${A} logs in and writes evil.html through Jupyter's contents API (PUT from the page, hub Origin)`, async () => {
	ctxA = await H.newContext('A');
	pageA = await ctxA.newPage();
	await H.login(pageA, A, PW[A]);
	await pageA.goto(`${H.base}/user/${A}/tree`);
	await pageA.locator('#notebook_list').waitFor({ timeout: 30_000 });
	const put = await pageA.evaluate(async ({ A, html }) => {
		const r = await fetch(`/user/${A}/api/contents/evil.html`, {
			method: 'PUT', headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ type: 'file', format: 'text', content: html }),
		});
		return { status: r.status, text: (await r.text()).slice(0, 300) };
	}, { A, html: evilHtml });
	check(put.status === 201 || put.status === 200, `PUT evil.html answered ${JSON.stringify(put)}`);
	// The same, without the hub's Origin: refused by hubd.
	const bad = await H.hostRequest('PUT', `/user/${A}/api/contents/evil2.html`, new URL(H.base).host, {
		Origin: 'http://evil.example', 'Content-Type': 'application/json',
		Cookie: await H.cookieHeader(ctxA, H.base),
	}, JSON.stringify({ type: 'file', format: 'text', content: 'x' }));
	check(bad.status === 403 && /cross-origin/.test(bad.text), `a PUT with a foreign Origin answered ${bad.status} ${bad.text}`);
});

H.step(`${A}'s kernel copies it to ~/.local/share/jupyter/nbextensions/ (served by Jupyter unsandboxed)`, async () => {
	const res = await pageA.evaluate(async ({ A, html }) => {
		const k = await (await fetch(`/user/${A}/api/kernels`, {
			method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name":"python3"}',
		})).json();
		const code = 'import os\nd = os.path.expanduser("~/.local/share/jupyter/nbextensions")\n' +
			'os.makedirs(d, exist_ok=True)\n' +
			`open(os.path.join(d, "evil.html"), "w").write(${JSON.stringify(html)})\n`;
		const ws = new WebSocket(`ws://${location.host}/user/${A}/api/kernels/${k.id}/channels?session_id=a`);
		const status = await new Promise((res) => {
			const t = setTimeout(() => res('timeout'), 30_000);
			ws.onopen = () => ws.send(JSON.stringify({
				header: { msg_id: 'a-1', username: 'a', session: 'a', msg_type: 'execute_request',
					version: '5.3', date: new Date().toISOString() },
				parent_header: {}, metadata: {}, channel: 'shell',
				content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true },
			}));
			ws.onmessage = (e) => {
				const m = JSON.parse(e.data);
				if (m.msg_type === 'execute_reply' && m.parent_header.msg_id === 'a-1') {
					clearTimeout(t);
					res(m.content.status === 'ok' ? 'ok' : JSON.stringify(m.content).slice(0, 300));
				}
			};
			ws.onclose = (e) => res(`closed ${e.code}`);
		});
		ws.close();
		return status;
	}, { A, html: evilHtml });
	check(res === 'ok', `running the copy in ${A}'s kernel: ${res}`);
}, 45_000);

H.step(`control: ${A} opening their own nbextensions/evil.html runs it in the hub's origin (the probe sees a leak)`, async () => {
	const resp = await pageA.goto(`${H.base}/user/${A}/nbextensions/evil.html`);
	check(resp.status() === 200, `GET nbextensions/evil.html answered ${resp.status()}`);
	const csp = (await resp.headerValue('content-security-policy')) || '';
	check(!/sandbox/.test(csp), `the owner's page is sandboxed (${csp}): this path would not test hubd`);
	await pageA.waitForFunction(() => /^xss-(done|broken)$/.test(document.title), null, { timeout: 45_000 });
	const out = JSON.parse(await pageA.locator('#out').textContent());
	await pageA.screenshot({ path: path.join(SHOT_DIR, 'xss-1-owner.png') });
	diag(`owner: origin ${out.origin}, own status ${out.attempts['own-status'].status}, xsrf scraped: ${!!out.xsrf}, ` +
		`frame ${JSON.stringify(out.frame)}`);
	check(out.origin === H.base, `the owner's page runs in origin ${out.origin}, expected ${H.base}`);
	const own = out.attempts['own-status'];
	check(isSuccess(own) && /"started"/.test(own.text), `the owner's page could not read /user/${A}/api/status: ${JSON.stringify(own)}`);
	check(out.xsrf && out.xsrf.length >= 16, 'the owner\'s page could not read the XSRF meta of /hub/home');
	check(!isSuccess(out.attempts[`b-contents-include`]), `${A} read ${B}'s contents as ${A}`);
	// /files/ is Jupyter's own sandbox, for the record.
	const f = await pageA.goto(`${H.base}/user/${A}/files/evil.html`);
	check(f.status() === 200, `GET files/evil.html answered ${f.status()}`);
	await pageA.waitForFunction(() => /^xss-(done|broken)$/.test(document.title), null, { timeout: 45_000 });
	const fout = JSON.parse(await pageA.locator('#out').textContent());
	diag(`owner on /files/: origin ${fout.origin} (Jupyter's CSP: ${await f.headerValue('content-security-policy')})`);
}, 110_000);

for (const [who, user] of [['admin', ADMIN], ['instructor', INS]]) {
	let ctx = null;
	let page = null;
	H.step(`${who} ${user} logs in; without the page they can read ${B}'s secret (the data is there to steal)`, async () => {
		ctx = await H.newContext(who);
		page = await ctx.newPage();
		await H.login(page, user, PW[user]);
		const r = await page.goto(`${H.base}/user/${B}/api/contents/${SECRET_FILE}`);
		check(r.status() === 200 && (await r.text()).includes(SECRET) &&
			new URL(page.url()).origin === userOrigin(B),
			`${who} reading ${B}'s secret directly answered ${r.status()} at ${page.url()}`);
	});
	for (const url of [`/user/${A}/nbextensions/evil.html`, `/user/${A}/files/evil.html`]) {
		H.step(`${who} opens ${url}: every attempt as the viewer fails, nothing is created, B's kernel runs nothing`, async () => {
			await viewerChecks(who, page, url, ctx);
			await nothingHappened(who);
			if (url.includes('nbextensions')) {
				await page.screenshot({ path: path.join(SHOT_DIR, `xss-${who === 'admin' ? 2 : 3}-${who}.png`) });
			}
		}, 70_000);
	}
	H.step(`${who} opens ${A}'s notebook tree to help (on ${A}'s own origin): Jupyter's file list shows evil.html`, async () => {
		const resp = await page.goto(`${H.base}/user/${A}/tree`);
		check(resp.status() === 200, `GET /user/${A}/tree answered ${resp.status()}`);
		check(new URL(page.url()).origin === userOrigin(A), `${who}: the tree is at ${page.url()}`);
		const ok = await page.locator('#notebook_list', { hasText: 'evil.html' }).waitFor({ timeout: 15_000 })
			.then(() => true, () => false);
		await page.screenshot({ path: path.join(SHOT_DIR, `xss-4-tree-${who}.png`) });
		check(ok, `${who} sees no file list in ${A}'s tree (CSP ${JSON.stringify(await resp.headerValue('content-security-policy'))})`);
	}, 30_000);
	H.step(`${who}'s session still works after the visit`, async () => {
		const r = await page.goto(`${H.base}/hub/home`);
		check(r.status() === 200 && new URL(page.url()).pathname === '/hub/home', `${who}'s home: ${r.status()} ${page.url()}`);
		await ctx.close();
	});
}

H.step('servers stop through the API; users are deleted; nothing is left', async () => {
	const rows = H.serverRows().filter((r) => [A, B].includes(r.name));
	check(await H.stopServers([A, B], 30_000), `the servers do not stop: ${JSON.stringify(H.serverRows())}`);
	for (const r of rows) {
		const left = r.cgroup ? procsIn(r.cgroup) : [];
		check(!left.length, `processes left in ${r.name}'s cgroup ${r.cgroup}: ${left.join(' ')}`);
	}
	if (ctxA) await ctxA.close();
	for (const n of [A, B, ADMIN, INS]) H.hubctlOk(['user', 'del', n]);
	const left = H.userNames().filter((n) => [A, B, ADMIN, INS].includes(n));
	check(!left.length, `users left: ${left}`);
}, 45_000);

H.step('hubd stops cleanly on SIGTERM', async () => {
	const r = await H.stopHubd();
	check(r && r.code === 0, `hubd ended with ${JSON.stringify(r)}`);
});

H.main();
