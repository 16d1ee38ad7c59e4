// The form in a real browser: Debian's Chromium, driven by playwright-core,
// through the real nginx and tipline-fcgi that tests/e2e/run.py started.
// JavaScript is OFF for everything a reporter does; it is on only to
// inject axe-core (accessibility) and to measure layout shift, on pages
// that have no script of their own.
//
// usage: node tests/e2e/e2e.mjs --port N --messages FILE --results FILE
//            --shots DIR [--readme-shot FILE]
// Prints "ok - e2e: NAME" / "not ok - e2e: NAME"; writes the reports it
// sent (reference, language, fields) to --results for run.py to check
// with the CLI.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const LANGS = ['de', 'fr', 'it', 'en'];
const TOKEN_MIN_AGE_MS = 2600;	// the harness's token_min_age is 2 s
const PAGE_BUDGET = 30 * 1024;	// bytes: the page and its style sheet
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const NEUTRAL = 'https://www.meteoswiss.admin.ch/';

function arg(name, dflt) {
	const i = process.argv.indexOf('--' + name);
	return i > 0 ? process.argv[i + 1] : dflt;
}

const port = Number(arg('port'));
const base = `http://127.0.0.1:${port}`;
const messages = JSON.parse(readFileSync(arg('messages'), 'utf8'));
const shots = arg('shots');
const readmeShot = arg('readme-shot', null);
const axeSource = readFileSync(join(HERE, 'node_modules', 'axe-core',
    'axe.min.js'), 'utf8');
const results = [];
const weights = {};
let failed = 0;

// A watchdog: the whole suite is bounded in time, whatever hangs.
const watchdog = setTimeout(() => {
	console.log('not ok - e2e: finished within 8 minutes');
	process.exit(1);
}, 8 * 60 * 1000);

function report(name, err, t0) {
	const secs = ((Date.now() - t0) / 1000).toFixed(1);
	if (err === null) {
		console.log(`ok - e2e: ${name} # ${secs} s`);
		return;
	}
	failed++;
	console.log(`not ok - e2e: ${name}`);
	console.log(`# last document: ${lastDoc}`);
	console.log(String(err && err.stack ? err.stack : err).split('\n')
	    .map((l) => '# ' + l).join('\n'));
}

async function test(name, fn) {
	const t0 = Date.now();
	let err = null;
	try {
		await fn();
	} catch (e) {
		err = e;
	}
	report(name, err, t0);
}

// Independent tests side by side (each in its own browser context): the
// reporters' flows spend most of their time waiting for the form's
// minimum age, so they wait together.
async function together(list) {
	const t0 = Date.now();
	const errs = await Promise.all(list.map(([, fn]) =>
	    fn().then(() => null, (e) => e || new Error('failed'))));
	list.forEach(([name], i) => report(name, errs[i], t0));
}

function check(cond, what) {
	if (!cond)
		throw new Error(what);
}

function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

// What each language's reporter types: accents, umlauts and a non-Latin
// script in each, and line breaks in the long texts.
const TYPED = {
	de: {
		description: 'Arbeiter schlafen in einer Scheune bei Zürich.\n' +
		    'Pässe wurden weggenommen; Lohn 3 Fr./Std. «Ärger» – Grösse, Straße.\n' +
		    'Они говорят по-русски.',
		municipality: 'Zürich-Höngg',
		victims_origin: 'Rumänien, Moldau (Молдова)',
		vehicles: 'Weisser Lieferwagen\nZH 123 456',
	},
	fr: {
		description: 'Des ouvrières logées à Genève dans une cave.\n' +
		    '« Passeports » confisqués, salaire impayé — été 2026 ; ça dure.\n' +
		    'Elles parlent arabe : يتحدثون العربية.',
		municipality: 'Genève – Pâquis',
		address: 'Rue de Berne 12, près du café « L’Étoile »',
		place_type: 'salon de massage',
		when: 'depuis l’été',
		victims_count: 'environ 4',
		victims_ages: '18–25 ans',
		victims_gender: 'femmes',
		victims_origin: 'Nigéria, Maroc',
		suspects: 'Deux hommes, l’un grand & barbu.\nIls viennent le soir.',
		suspect_names: 'Åke « le Grec »',
		suspect_role: 'propriétaire, chauffeur',
		vehicles: 'BMW noire, GE 98 765',
		online: '+41 79 000 00 00\nhttps://example.invalid/annonce?id=7&x="y"',
		contact: 'signal: élodie <at> example',
	},
	it: {
		description: 'Lavoratori in un cantiere a Lugano, più di dieci.\n' +
		    'Perché è così? Dormono lì. 他们说中文。 😟',
		municipality: 'Lugano',
		suspects: 'Un caposquadra, sempre lo stesso.',
	},
	en: {
		description: 'People sold at the market, I think.\n' +
		    'They speak Tigrinya (ትግርኛ) and Greek (ελληνικά); one wrote ስም.\n' +
		    '<b>not bold</b> & "quotes" \'single\'',
		online: '@handle_𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
		victims_count: 'three or four',
	},
};
const CHOSEN = {
	de: { type: 'labour', canton: 'ZH', ongoing: 'yes' },
	fr: { type: 'sexual', canton: 'GE', ongoing: 'yes', minors: 'no',
	    source: 'professional', contact_ok: 'yes' },
	it: { canton: 'TI', minors: 'unknown', source: 'saw' },
	en: { type: 'other', canton: 'abroad', contact_ok: 'no' },
};

// The last page loaded, for the message when a test fails.
let lastDoc = '';

async function browserContext(browser, opts) {
	const ctx = await browser.newContext({ viewport: { width: 1280,
	    height: 900 }, ...opts });
	ctx.on('response', (r) => {
		if (r.request().resourceType() === 'document')
			lastDoc = `${r.status()} ${r.url()}`;
	});
	ctx.on('requestfailed', (r) => {
		lastDoc = `failed ${r.url()}: ${r.failure()?.errorText}`;
	});
	return ctx;
}

// Each language is reached the way a reporter would reach it: German
// by default, French from the browser's Accept-Language, Italian with the
// language link, English with ?lang=en.
async function openForm(browser, lang, opts = {}) {
	const locale = { de: 'de-CH', fr: 'fr-CH', it: 'de-CH', en: 'en-GB' };
	const ctx = await browserContext(browser, { javaScriptEnabled: false,
	    locale: locale[lang], ...opts });
	const page = await ctx.newPage();
	if (lang === 'en') {
		await page.goto(`${base}/?lang=en`);
	} else {
		await page.goto(`${base}/`);
		if (lang === 'it') {
			check(await htmlLang(page) === 'de', 'de-CH browser gets German');
			await Promise.all([page.waitForURL(/lang=it/),
			    page.click('nav.langs a[hreflang="it"]')]);
		}
	}
	check(await htmlLang(page) === lang, `page language ${lang}, got ${await htmlLang(page)}`);
	return { ctx, page, loaded: Date.now() };
}

async function htmlLang(page) {
	return page.getAttribute('html', 'lang');
}

async function fill(page, typed, chosen) {
	for (const [k, v] of Object.entries(typed))
		await page.fill(`#f-${k}`, v);
	for (const [k, v] of Object.entries(chosen))
		await page.selectOption(`#f-${k}`, v);
}

async function submitWhenOldEnough(page, loaded, urlPattern) {
	const wait = TOKEN_MIN_AGE_MS - (Date.now() - loaded);
	if (wait > 0)
		await sleep(wait);
	await Promise.all([page.waitForURL(urlPattern, { timeout: 30000 }),
	    page.click('form button[type="submit"]')]);
}

async function expectReceived(page, lang, sent, flow) {
	const url = new URL(page.url());
	check(url.pathname === '/received', 'on the received page: ' + url);
	check(await htmlLang(page) === lang, 'received page in ' + lang);
	const ref = (await page.textContent('.ref')).trim();
	check(/^TL-[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(ref), 'reference shown: ' + ref);
	check(url.searchParams.get('ref') === ref, 'reference in the URL');
	results.push({ ref, lang, flow, fields: sent });
	return ref;
}

// ---- the reporter's path, JavaScript off -------------------------------

async function reportInLanguage(browser, lang) {
	const { ctx, page, loaded } = await openForm(browser, lang);
	try {
		check(await page.evaluate(() => document.scripts.length) === 0,
		    'the page has no script');
		await fill(page, TYPED[lang], CHOSEN[lang]);
		await submitWhenOldEnough(page, loaded, /\/received\?/);
		await expectReceived(page, lang, { ...TYPED[lang], ...CHOSEN[lang] },
		    'sent_at_once');
	} finally {
		await ctx.close();
	}
}

async function failedSubmitKeepsText(browser, lang) {
	const { ctx, page, loaded } = await openForm(browser, lang);
	const typed = { ...TYPED[lang] };
	const description = typed.description;
	delete typed.description;
	try {
		await fill(page, typed, CHOSEN[lang]);
		await submitWhenOldEnough(page, loaded, /\/submit$/);
		check(await htmlLang(page) === lang, 'error page in ' + lang);
		const m = messages[lang];
		const title = await page.title();
		check(title.startsWith(m['Error:']), 'title starts with Error: ' + title);
		const summary = page.locator('.error-summary[role="alert"]');
		check(await summary.count() === 1, 'one error summary');
		check((await summary.locator('h2').textContent()).trim() ===
		    m['There is a problem'], 'summary heading translated');
		const link = summary.locator('a[href="#f-description"]');
		check(await link.count() === 1, 'summary links to the description');
		check((await link.textContent()).includes(
		    m['Please describe what you saw or heard.']), 'message in summary');
		check((await page.textContent('#e-description')).includes(
		    m['Please describe what you saw or heard.']), 'message beside field');
		check(await page.getAttribute('#f-description', 'aria-invalid') ===
		    'true', 'field marked invalid');
		check((await page.getAttribute('#f-description',
		    'aria-describedby')).split(' ').includes('e-description'),
		    'message tied to the field');
		for (const [k, v] of Object.entries(typed))
			check(await page.inputValue(`#f-${k}`) === v, `${k} kept`);
		for (const [k, v] of Object.entries(CHOSEN[lang]))
			check(await page.inputValue(`#f-${k}`) === v, `${k} kept`);
		check(await page.getAttribute('input[name="lang"]', 'value') === lang,
		    'language kept in the form');
		// the summary's link leads to the field, without script
		await link.click();
		check(page.url().endsWith('#f-description'), 'link followed');
		check(await page.evaluate(() => document.querySelector(':target')?.id)
		    === 'f-description', 'the field is the target');
		// sending again with the description arrives with everything
		await page.fill('#f-description', description);
		await Promise.all([page.waitForURL(/\/received\?/, { timeout: 30000 }),
		    page.click('form button[type="submit"]')]);
		await expectReceived(page, lang, { ...TYPED[lang], ...CHOSEN[lang] },
		    'sent_after_an_error');
	} finally {
		await ctx.close();
	}
}

async function javascriptIsOff(browser) {
	const ctx = await browserContext(browser, { javaScriptEnabled: false });
	const page = await ctx.newPage();
	try {
		await page.setContent('<title>t</title><script>document.title="js"' +
		    '</script>');
		check(await page.title() === 't', 'a script ran');
	} finally {
		await ctx.close();
	}
}

async function leaveThisPage(browser) {
	const ctx = await browserContext(browser, { javaScriptEnabled: false });
	const page = await ctx.newPage();
	try {
		// The neutral site is answered here, never fetched.
		await ctx.route('https://www.meteoswiss.admin.ch/**', (r) =>
		    r.fulfill({ status: 200, contentType: 'text/html',
		    body: '<title>neutral</title>' }));
		for (const path of ['/?lang=fr', '/privacy', '/received?ref=TL-AAAA-AAAA',
		    '/nope?lang=it']) {
			await page.goto(base + path);
			const a = page.locator('a.leave');
			check(await a.count() === 1, 'leave link on ' + path);
			check((await a.getAttribute('rel')).includes('noreferrer'),
			    'no referrer');
		}
		await Promise.all([page.waitForURL(NEUTRAL), page.click('a.leave')]);
		check(await page.title() === 'neutral', 'left for the neutral site');
	} finally {
		await ctx.close();
	}
}

// ---- page states, for axe, weight, width and translations --------------

const STATES = {
	form: async (page, lang) => page.goto(`${base}/?lang=${lang}`),
	form_with_errors: async (page, lang) => {
		await page.goto(`${base}/?lang=${lang}`);
		await page.fill('#f-municipality', 'Bern');
		await Promise.all([page.waitForURL(/\/submit$/),
		    page.click('form button[type="submit"]')]);
	},
	received: async (page, lang) =>
		page.goto(`${base}/received?ref=TL-7KQ2-M9XD&lang=${lang}`),
	privacy: async (page, lang) => page.goto(`${base}/privacy?lang=${lang}`),
	not_found: async (page, lang) => page.goto(`${base}/nowhere?lang=${lang}`),
};

async function axeCheck(browser, lang, state) {
	const ctx = await browserContext(browser, { javaScriptEnabled: true,
	    bypassCSP: true });
	const page = await ctx.newPage();
	try {
		await STATES[state](page, lang);
		check(await page.evaluate(() => document.scripts.length) === 0,
		    'the page has no script of its own');
		await page.addScriptTag({ content: axeSource });
		const res = await page.evaluate((tags) => window.axe.run(document,
		    { runOnly: { type: 'tag', values: tags } }), WCAG);
		const v = res.violations.map((x) => `${x.id}: ${x.help} (` +
		    x.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ') + ')');
		check(res.passes.length > 10, 'axe ran its rules');
		check(v.length === 0, 'WCAG 2.1 A/AA violations:\n' + v.join('\n'));
		const shift = await page.evaluate(() => new Promise((done) => {
			let sum = 0;
			new PerformanceObserver((l) => {
				for (const e of l.getEntries())
					sum += e.value;
			}).observe({ type: 'layout-shift', buffered: true });
			setTimeout(() => done(sum), 300);
		}));
		check(shift === 0, 'layout shift ' + shift);
	} finally {
		await ctx.close();
	}
}

// Texts a page shows: text nodes, and the attributes a person meets.
async function shownTexts(page) {
	return page.evaluate(() => {
		const out = [document.title];
		const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = w.nextNode(); n; n = w.nextNode())
			if (n.parentElement.closest('textarea') === null)
				out.push(n.nodeValue.trim());
		for (const el of document.querySelectorAll('[aria-label],[title],[placeholder],[alt]'))
			for (const a of ['aria-label', 'title', 'placeholder', 'alt'])
				if (el.getAttribute(a))
					out.push(el.getAttribute(a).trim());
		return out.filter((s) => s !== '');
	});
}

async function pageChecks(browser, lang, state) {
	const ctx = await browserContext(browser, { javaScriptEnabled: false });
	const page = await ctx.newPage();
	const foreign = [];
	let doc = null;
	page.on('request', (r) => {
		if (!r.url().startsWith(base + '/') && !r.url().startsWith('data:'))
			foreign.push(r.url());
	});
	page.on('response', (r) => {
		if (r.request().resourceType() === 'document')
			doc = r;
	});
	try {
		await STATES[state](page, lang);
		await page.waitForLoadState('load');
		// the weight: the page as sent, and every style sheet it links
		let bytes = (await doc.body()).length;
		for (const href of await page.evaluate(() => [...document.querySelectorAll(
		    'link[rel="stylesheet"]')].map((l) => l.href)))
			bytes += (await (await ctx.request.get(href)).body()).length;
		check(await htmlLang(page) === lang, 'html lang');
		check(foreign.length === 0, 'only our own origin: ' + foreign);
		check(bytes > 1000 && bytes < PAGE_BUDGET, `page weight ${bytes} bytes`);
		weights[`${state}_${lang}`] = bytes;
		// no English left on a page in another language: no text shown
		// is an English msgid whose translation differs
		if (lang !== 'en') {
			const m = messages[lang];
			const english = Object.keys(m).filter((id) => m[id] !== id);
			const long = english.filter((id) => id.split(' ').length >= 4);
			const texts = await shownTexts(page);
			const left = texts.filter((t) => english.includes(t) ||
			    long.some((id) => t.includes(id)));
			check(left.length === 0, 'English on the page: ' + left.join(' | '));
		}
		// readable at 320 px: nothing wider than the screen
		await page.setViewportSize({ width: 320, height: 640 });
		const wide = await page.evaluate(() =>
		    document.documentElement.scrollWidth);
		check(wide <= 320, `scrolls sideways at 320 px: ${wide}`);
	} finally {
		await ctx.close();
	}
}

async function screenshots(browser, lang) {
	for (const width of [360, 1280]) {
		const ctx = await browserContext(browser, { javaScriptEnabled: false,
		    viewport: { width, height: 800 } });
		const page = await ctx.newPage();
		try {
			await page.goto(`${base}/?lang=${lang}`);
			const file = join(shots, `form-${lang}-${width}.png`);
			await page.screenshot({ path: file, fullPage: true });
			check(readFileSync(file).length > 10000, 'screenshot written');
			if (width === 360) {
				await page.fill('#f-municipality', 'Bern');
				await Promise.all([page.waitForURL(/\/submit$/),
				    page.click('form button[type="submit"]')]);
				await page.screenshot({ path: join(shots,
				    `form-errors-${lang}-360.png`), fullPage: true });
			}
			if (readmeShot && lang === 'de' && width === 1280) {
				await page.goto(`${base}/?lang=de`);
				await page.screenshot({ path: readmeShot });
			}
		} finally {
			await ctx.close();
		}
	}
}

async function focusIsVisible(browser) {
	const ctx = await browserContext(browser, { javaScriptEnabled: false });
	const page = await ctx.newPage();
	try {
		await page.goto(`${base}/?lang=de`);
		const seen = [];
		for (let i = 0; i < 12; i++) {	// skip link, leave, languages, ...
			await page.keyboard.press('Tab');
			seen.push(await page.evaluate(() => {
				const el = document.activeElement;
				const s = getComputedStyle(el);
				return { tag: el.tagName, outline: s.outlineStyle !== 'none' &&
				    parseFloat(s.outlineWidth) >= 2, shadow: s.boxShadow !== 'none',
				    bg: s.backgroundColor };
			}));
		}
		const bad = seen.filter((s) => s.tag !== 'BODY' && !s.outline && !s.shadow);
		check(seen.some((s) => s.tag === 'SELECT' || s.tag === 'TEXTAREA'),
		    'tabbing reaches the fields: ' + JSON.stringify(seen.map((s) => s.tag)));
		check(bad.length === 0, 'focus not visible on ' + JSON.stringify(bad));
		check(seen[0].tag === 'A', 'the skip link comes first');
	} finally {
		await ctx.close();
	}
}

async function printStyle(browser) {
	const ctx = await browserContext(browser, { javaScriptEnabled: false });
	const page = await ctx.newPage();
	try {
		await page.goto(`${base}/received?ref=TL-7KQ2-M9XD&lang=fr`);
		await page.emulateMedia({ media: 'print' });
		const shown = async (sel) => page.evaluate((s) =>
		    getComputedStyle(document.querySelector(s)).display !== 'none', sel);
		check(!await shown('header.top'), 'no header in print');
		check(!await shown('footer'), 'no footer in print');
		check(!await shown('.again'), 'no link in print');
		check(await shown('.ref'), 'the reference is printed');
		check(await shown('.close-now'), 'the safety reminder is printed');
		const pdf = await page.pdf({ format: 'A4' });
		check(pdf.length > 1000, 'prints');
	} finally {
		await ctx.close();
	}
}

// ---- main ----------------------------------------------------------------

const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	headless: true,
	// playwright-core starts it with a fresh temporary --user-data-dir
	args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
	timeout: 60000,
});
try {
	mkdirSync(shots, { recursive: true });
	await test('javascript_is_off_in_the_reporter_s_browser', () =>
	    javascriptIsOff(browser));
	await together(LANGS.map((lang) =>
	    [`report_in_${lang}_without_javascript_reaches_received`,
	    () => reportInLanguage(browser, lang)]));
	await together(LANGS.map((lang) =>
	    [`failed_submit_in_${lang}_keeps_text_and_links_errors`,
	    () => failedSubmitKeepsText(browser, lang)]));
	for (const lang of LANGS)
		for (const state of Object.keys(STATES))
			await test(`axe_wcag21_aa_no_violations_${state}_${lang}`,
			    () => axeCheck(browser, lang, state));
	for (const lang of LANGS)
		await together(Object.keys(STATES).map((state) =>
		    [`${state}_${lang}_is_translated_light_own_origin_320px`,
		    () => pageChecks(browser, lang, state)]));
	for (const lang of LANGS)
		await test(`screenshots_${lang}_360_and_1280`, () =>
		    screenshots(browser, lang));
	await test('leave_this_page_goes_to_a_neutral_site_without_javascript',
	    () => leaveThisPage(browser));
	await test('keyboard_focus_is_visible', () => focusIsVisible(browser));
	await test('received_page_prints_the_reference_without_navigation',
	    () => printStyle(browser));
	const heaviest = Object.entries(weights).sort((a, b) => b[1] - a[1])[0];
	if (heaviest)
		console.log(`# heaviest page: ${heaviest[0]}, ${heaviest[1]} bytes ` +
		    `(budget ${PAGE_BUDGET})`);
} finally {
	await browser.close();
	writeFileSync(arg('results'), JSON.stringify(results, null, 1));
	clearTimeout(watchdog);
}
process.exit(failed ? 1 : 0);
