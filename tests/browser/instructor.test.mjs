#!/usr/bin/env node
// Issue 6's browser test, the way an instructor does it each semester: a
// course made with hubctl (a student of last term already enrolled), the
// instructor logs in on the login page, opens /hub/courses/CODE, imports a
// roster CSV from the page with "drop students who are not in this file",
// sees the dry-run preview (nothing written yet), applies it, sees the
// one-time passwords (one of them is tried on the login page), presses
// "Start all students' servers" and reloads the page until the roster's
// Server column says "running" for each student, then "Stop all" and
// reloads until none runs.  Students' servers are the echo server fixture
// (tests/integration/fixtures/echo_server.py) to keep it fast.  The course
// page is pictured on a desktop (1280 px) and on a phone (375 px) into
// $HUBD_BUILDDIR/tests/browser/instructor-*.png; on the phone the page must
// not be wider than the screen (the roster table scrolls in its own box).
// Prints TAP; exits non-zero on any failure (missing prerequisites too).

import fs from 'node:fs';
import path from 'node:path';
import { makeHub, check, diag, sleep, randomPw, procsIn, SRCDIR, SHOT_DIR } from './harness.mjs';

const ECHO_SRC = path.join(SRCDIR, 'tests', 'integration', 'fixtures', 'echo_server.py');
// Where the sandboxed server can read it (as courses_pages.py does).
const ECHO = `/usr/local/lib/hubd-test-echo-browser-${process.pid}.py`;
const H = makeHub({ tag: 'ins', wholeMs: 175_000, serverConf: `command = /usr/bin/python3 ${ECHO}\n` });
H.cleanups.push(() => fs.rmSync(ECHO, { force: true }));

const CODE = 'ds101';
const TITLE = 'Intro to Data Science';
const TERM = 'Fall 2026';
const TEACHER = 'teachbr';
const ADMIN = 'adminbr';		// only for clean-up through the API
const OLD = 'oldstud';			// last term's student, dropped by the import
const PW = { [TEACHER]: randomPw('t'), [ADMIN]: randomPw('a'), [OLD]: randomPw('o') };
const STUDENTS = [
	{ user: 'rsalice', name: 'Alice Ånström', email: 'alice@uni.example' },
	{ user: 'rsbob', name: 'Bob "Bobby" Ng, Jr.', email: 'bob@uni.example' },
	{ user: 'rscarol', name: 'Carol 陈', email: 'carol@uni.example' },
];
const NAMES = STUDENTS.map((s) => s.user);
const ROSTER = '\ufeffusername,full_name,email,role\r\n' + STUDENTS.map((s) =>
	`${s.user},"${s.name.replace(/"/g, '""')}",${s.email},student`).join('\r\n') + '\r\n';
const COURSE_URL = `/hub/courses/${CODE}`;
const RUN_MS = 60_000;

let ctx = null;
let page = null;
let passwords = {};	// user -> one-time password shown after the import

async function shot(p, name, fullPage = true) {
	const file = path.join(SHOT_DIR, `instructor-${name}.png`);
	await p.screenshot({ path: file, fullPage });
	diag(`screenshot: ${file}`);
}

// The roster table as shown: user -> { name, role, server }.
async function rosterOnPage(p) {
	return p.evaluate(() => {
		const out = {};
		for (const tr of document.querySelectorAll('table.roster tbody tr')) {
			const td = [...tr.querySelectorAll('td')].map((d) => d.textContent.trim());
			out[td[2]] = { name: td[1], role: td[3], server: td[4], dropped: tr.classList.contains('dropped') };
		}
		return out;
	});
}

// Reload the course page until want(roster) holds; the states seen.
async function reloadUntil(want, what, ms) {
	const seen = [];
	const deadline = Date.now() + ms;
	for (;;) {
		await page.goto(H.base + COURSE_URL);
		const r = await rosterOnPage(page);
		const states = NAMES.map((n) => (r[n] || {}).server).join(' ');
		if (seen[seen.length - 1] !== states) seen.push(states);
		if (want(r)) return seen;
		check(Date.now() < deadline, `after ${ms / 1000} s of reloading, the roster does not show ${what}: ` +
			`states seen: ${seen.join(' | ')}`);
		await sleep(500);
	}
}

// Is the page wider than its viewport?  { scroll, client, wide: [elements] }
async function overflow(p) {
	return p.evaluate(() => {
		const vw = document.documentElement.clientWidth;
		const wide = [];
		for (const el of document.querySelectorAll('body *')) {
			const r = el.getBoundingClientRect();
			if (r.right > vw + 1 && !el.closest('.table-wrap')) {
				wide.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className ? '.' + String(el.className).split(' ').join('.') : ''} right=${Math.round(r.right)}`);
			}
		}
		return { scroll: document.documentElement.scrollWidth, client: vw, wide: wide.slice(0, 8) };
	});
}

H.step('prerequisites: playwright-core, Chromium, hubd, hubctl, spawner, the echo server fixture; root', async () => {
	H.prerequisites(false);
	check(fs.existsSync(ECHO_SRC), `no ${ECHO_SRC}: set HUBD_SRCDIR`);
	for (const f of fs.readdirSync(SHOT_DIR)) {
		if (/^instructor-.*\.png$/.test(f)) fs.rmSync(path.join(SHOT_DIR, f), { force: true });
	}
	fs.copyFileSync(ECHO_SRC, ECHO);
	fs.chmodSync(ECHO, 0o644);
});

H.step('hubd starts (the echo server as students\' server command)', () => H.startHubd());

H.step(`hubctl: course ${CODE} "${TITLE}", instructor ${TEACHER}, last term's student ${OLD}`, async () => {
	H.addUser(TEACHER, 'instructor', PW[TEACHER], false);
	H.addUser(ADMIN, 'admin', PW[ADMIN]);
	H.addUser(OLD, 'student', PW[OLD], false);
	H.hubctlOk(['course', 'add', CODE, '--title', TITLE, '--term', TERM]);
	H.hubctlOk(['course', 'enroll', CODE, TEACHER, '--role', 'instructor']);
	H.hubctlOk(['course', 'enroll', CODE, OLD, '--role', 'student']);
});

H.step('Chromium starts', () => H.launch());

H.step(`the instructor logs in and opens ${COURSE_URL}: title, role, roster, import form`, async () => {
	ctx = await H.newContext('instructor');
	page = await ctx.newPage();
	await H.login(page, TEACHER, PW[TEACHER]);
	const link = page.getByRole('link', { name: TITLE });
	check(await link.count() > 0, `home does not list the course "${TITLE}"`);
	await Promise.all([page.waitForURL((u) => u.pathname === COURSE_URL), link.first().click()]);
	await page.getByRole('heading', { name: TITLE }).waitFor();
	check((await page.locator('#course').textContent()).includes('Your role: instructor'),
		'the page does not say "Your role: instructor"');
	const r = await rosterOnPage(page);
	check(r[OLD] && r[OLD].role === 'student' && r[TEACHER], `the roster shows ${JSON.stringify(r)}`);
	await page.getByRole('heading', { name: 'Import a roster' }).waitFor();
	await shot(page, '1-course');
});

H.step('import: file + "drop missing" → "Preview the changes" shows what would change, nothing written', async () => {
	await page.locator('#import-form input[name="file"]').setInputFiles({
		name: 'roster.csv', mimeType: 'text/csv', buffer: Buffer.from(ROSTER, 'utf8'),
	});
	await page.locator('#import-form input[name="drop_missing"]').check();
	await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `${COURSE_URL}/roster`),
		page.getByRole('button', { name: 'Preview the changes' }).click(),
	]);
	await page.locator('#preview', { hasText: 'Preview, nothing written yet' }).waitFor();
	const text = await page.locator('#preview pre').textContent();
	diag(`preview: ${(await page.locator('#preview h3').textContent()).trim()}\n${text.trim()}`);
	for (const n of NAMES) check(new RegExp(`^create ${n}$`, 'm').test(text), `the preview lacks "create ${n}":\n${text}`);
	check(new RegExp(`^drop ${OLD}$`, 'm').test(text), `the preview lacks "drop ${OLD}":\n${text}`);
	const users = H.userNames();
	check(!NAMES.some((n) => users.includes(n)), `the preview wrote accounts: ${users}`);
	check(await page.getByRole('button', { name: 'Apply these changes' }).isVisible(), 'no visible "Apply these changes"');
	await shot(page, '2-preview');
});

H.step('"Apply these changes": the one-time passwords are shown, and one works on the login page', async () => {
	await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `${COURSE_URL}/roster`),
		page.getByRole('button', { name: 'Apply these changes' }).click(),
	]);
	await page.locator('#passwords').waitFor({ state: 'visible' });
	const text = await page.locator('#passwords').textContent();
	passwords = {};
	for (const line of text.split('\n')) {
		const m = /^([a-z_][a-z0-9_.-]*),(\S+)$/.exec(line.trim());
		if (m) passwords[m[1]] = m[2];
	}
	check(NAMES.every((n) => passwords[n]), `one-time passwords shown for ${Object.keys(passwords)}:\n${text}`);
	check(/Imported/.test(await page.locator('#preview').textContent()),
		`the page does not say it imported: ${await page.locator('#preview').textContent()}`);
	const users = H.userNames();
	check(NAMES.every((n) => users.includes(n)), `accounts after the import: ${users}`);
	await shot(page, '3-applied');
	// The password works (a one-time one: the hub asks for a new one).
	const sctx = await H.newContext('student');
	const sp = await sctx.newPage();
	await sp.goto(H.base + '/hub/login');
	await sp.fill('#username', NAMES[0]);
	await sp.fill('#password', passwords[NAMES[0]]);
	await Promise.all([sp.waitForURL((u) => u.pathname !== '/hub/login'), sp.getByRole('button', { name: 'Log in' }).click()]);
	diag(`${NAMES[0]} logging in with it lands on ${new URL(sp.url()).pathname}`);
	await sctx.close();
	// The roster now: the three students, last term's dropped.
	await page.goto(H.base + COURSE_URL);
	const r = await rosterOnPage(page);
	for (const s of STUDENTS) {
		check(r[s.user] && r[s.user].name === s.name && r[s.user].server === 'stopped',
			`roster row of ${s.user}: ${JSON.stringify(r[s.user])}`);
	}
	check(r[OLD] && r[OLD].dropped, `${OLD} is not shown dropped: ${JSON.stringify(r[OLD])}`);
});

H.step('"Start all students\' servers": reloading, the Server column goes to running for each', async () => {
	await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `${COURSE_URL}/servers`),
		page.getByRole('button', { name: 'Start all students\' servers' }).click(),
	]);
	await page.waitForLoadState();
	await shot(page, '4-starting');
	const seen = await reloadUntil((r) => NAMES.every((n) => r[n] && r[n].server === 'running'), 'running', RUN_MS);
	diag(`Server column, reload after reload: ${seen.join(' | ')}`);
	check((await page.locator('#course').textContent()).includes(`${NAMES.length} servers running`),
		`the counts say: ${await page.locator('#course p.muted').textContent()}`);
	const rows = H.serverRows();
	check(NAMES.every((n) => (rows.find((x) => x.name === n) || {}).state === 'running'),
		`the database says ${JSON.stringify(rows)}`);
	check(!rows.some((x) => x.name === OLD && x.state === 'running'), `the dropped ${OLD}'s server was started`);
	await shot(page, '5-running');
}, RUN_MS + 20_000);

H.step('phone (375 px): the course page is no wider than the screen', async () => {
	const pctx = await H.newContext('phone', {
		viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
	});
	const pp = await pctx.newPage();
	await H.login(pp, TEACHER, PW[TEACHER]);
	await pp.goto(H.base + COURSE_URL);
	await pp.getByRole('heading', { name: TITLE }).waitFor();
	const o = await overflow(pp);
	await shot(pp, '6-phone');
	diag(`phone: page ${o.scroll} px wide in a ${o.client} px viewport${o.wide.length ? '; too wide: ' + o.wide.join(', ') : ''}`);
	await pctx.close();
	check(o.scroll <= o.client, `on a 375 px phone the page is ${o.scroll} px wide: ${o.wide.join(', ')}`);
});

H.step('"Stop all": reloading, no student\'s server runs any more', async () => {
	await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `${COURSE_URL}/servers`),
		page.getByRole('button', { name: 'Stop all' }).click(),
	]);
	const seen = await reloadUntil((r) => NAMES.every((n) => r[n] && r[n].server === 'stopped'), 'stopped', RUN_MS);
	diag(`Server column, reload after reload: ${seen.join(' | ')}`);
	check((await page.locator('#course').textContent()).includes('0 servers running'),
		`the counts say: ${await page.locator('#course p.muted').textContent()}`);
	await shot(page, '7-stopped');
}, RUN_MS + 20_000);

H.finalStep('clean-up: no server left, the accounts made here deleted, the fixture copy removed', async () => {
	if (ctx) await ctx.close().catch(() => {});
	const rows = H.serverRows();
	const all = [...NAMES, OLD];
	H.tokens[ADMIN] && await Promise.all(all.map((n) =>
		H.api('DELETE', `/hub/api/users/${n}/server`, ADMIN, undefined, 5000).catch(() => {})));
	const deadline = Date.now() + 30_000;
	let left = [];
	for (;;) {
		left = rows.filter((r) => r.cgroup).flatMap((r) => procsIn(r.cgroup));
		const now = H.serverRows();
		if (!left.length && !now.some((r) => r.state === 'running' || r.state === 'starting')) break;
		check(Date.now() < deadline, `left running: ${JSON.stringify(now)} pids ${left}`);
		await sleep(200);
	}
	for (const n of [...all, TEACHER, ADMIN]) {
		const r = H.hubctl(['user', 'del', n]);
		check(r.status === 0 || !H.userNames().includes(n), `hubctl user del ${n}: ${r.stderr}`);
	}
	const users = H.userNames().filter((n) => [...all, TEACHER, ADMIN].includes(n));
	check(!users.length, `accounts left: ${users}`);
	fs.rmSync(ECHO, { force: true });
}, 45_000);

H.finalStep('hubd stops cleanly on SIGTERM', async () => {
	const r = await H.stopHubd();
	check(r && r.code === 0, `hubd ended with ${JSON.stringify(r)}`);
});

H.main();
