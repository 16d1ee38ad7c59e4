// The form in a real browser: Debian's Chromium, driven by playwright-core,
// through the real nginx and tipline-fcgi that tests/e2e/run.py started.
// JavaScript is OFF for everything a reporter does; it is on only to
// inject axe-core (accessibility) and to measure layout shift, on pages
// that have no script of their own. One browser for the whole suite and
// one context per language and width, reused from check to check, keep
// twelve languages at two widths within a few minutes.
//
// usage: node tests/e2e/e2e.mjs --port N --messages FILE --results FILE
//            --shots DIR --not-stored FILE [--readme-shot FILE]
// Prints "ok - e2e: NAME" / "not ok - e2e: NAME"; writes the reports it
// sent (receipt, language, fields) to --results for run.py to check
// with the CLI. --not-stored holds the real 503 answers ("not stored"),
// one per language, that run.py got from the server while it held the
// database's lock; they are replayed to the browser, which cannot hold
// that lock itself.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
// Languages of the Swiss profile (html/profiles/ch.profile), in order.
const LANGS = ['de', 'fr', 'it', 'en', 'ro', 'hu', 'bg', 'es', 'pt', 'ru',
    'ar', 'fa'];
const RTL = new Set(['ar', 'fa']);
const SITE = 'KSMM';			// the profile's site_name: every title
const TOKEN_MIN_AGE_MS = 2600;	// the harness's token_min_age is 2 s
const PAGE_BUDGET = 30 * 1024;	// bytes: the page and its style sheet
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const NEUTRAL = 'https://www.meteoswiss.admin.ch/';
const PHONE = { width: 360, height: 640 };
const DESK = { width: 1280, height: 900 };
const SCREENS_TO_SEND = 3;		// 800 px screens before the send button
const TOKEN_MAX_AGE_MS = 61000;	// run.py sets token_max_age = 60

function arg(name, dflt) {
	const i = process.argv.indexOf('--' + name);
	return i > 0 ? process.argv[i + 1] : dflt;
}

const port = Number(arg('port'));
const base = `http://127.0.0.1:${port}`;
const messages = JSON.parse(readFileSync(arg('messages'), 'utf8'));
const shots = arg('shots');
const readmeShot = arg('readme-shot', null);
const notStored = JSON.parse(readFileSync(arg('not-stored'), 'utf8'));
const axeSource = readFileSync(join(HERE, 'node_modules', 'axe-core',
    'axe.min.js'), 'utf8');
const results = [];
const weights = {};
let failed = 0;

// A watchdog: the whole suite is bounded in time, whatever hangs. It
// takes about 4 minutes on two free cores; the bound leaves room for a
// machine shared with other work.
const watchdog = setTimeout(() => {
	console.log('not ok - e2e: finished within 12 minutes');
	writeFileSync(arg('results'), JSON.stringify(results, null, 1));
	process.exit(1);
}, 12 * 60 * 1000);

// The last page loaded, for the message when a test fails.
let lastDoc = '';

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

// Many independent tests, n at a time, each reported as it ends: the
// browser waits on the server and on the form's minimum age more than it
// works, so a few run side by side on two cores.
async function pool(list, n) {
	const queue = [...list];
	const worker = async () => {
		for (let job = queue.shift(); job; job = queue.shift()) {
			const t0 = Date.now();
			let err = null;
			try {
				await job[1]();
			} catch (e) {
				err = e || new Error('failed');
			}
			report(job[0], err, t0);
		}
	};
	await Promise.all(Array.from({ length: n }, worker));
}

function check(cond, what) {
	if (!cond)
		throw new Error(what);
}

function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

// What each language's reporter types: its own script, accents, quotes
// and line breaks; some of it in groups that are folded at first.
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
	ro: {
		description: 'Femei din Moldova lucrează într-un salon, fără pașapoarte.\n' +
		    'Șeful spune „datorie”.',
		municipality: 'Basel',
	},
	hu: {
		description: 'Építkezésen dolgozó férfiak, 14 órát naponta.\n' +
		    'A főnök elvette az útleveleket: „majd később”.',
		suspect_role: 'művezető',
	},
	bg: {
		description: 'Жени от България работят в бар в Берн.\n' +
		    'Не могат да излизат сами — „дълг“ от 5000 франка.',
		victims_count: '3',
	},
	es: {
		description: 'Una empleada doméstica trabaja 16 horas al día.\n' +
		    'No le pagan; ¿dónde está su pasaporte? «Lo guarda la señora».',
		place_type: 'casa particular',
	},
	pt: {
		description: 'Trabalhadores numa quinta, sem salário há três meses.\n' +
		    'O patrão ficou com os documentos — “para segurança”.',
		when: 'desde março',
	},
	ru: {
		description: 'Мужчин привезли на стройку, паспорта отобрали.\n' +
		    'Живут в вагончике; «долг» растёт.',
		online: 'Telegram: @rabota_ch_2026',
	},
	ar: {
		description: 'رجال يعملون في مطعم دون أجر منذ أشهر.\n' +
		    'صاحب العمل أخذ جوازات السفر «للحفظ». (123)',
		municipality: 'Lausanne',
	},
	fa: {
		description: 'چند جوان در یک کارگاه کار می‌کنند و مزد نمی‌گیرند.\n' +
		    'صاحب‌کار می‌گوید «بدهی» دارند. ۱۲۳',
		contact: 'signal: ناشناس',
	},
};
const CHOSEN = {
	de: { type: 'labour', canton: 'ZH', ongoing: 'yes' },
	fr: { type: 'sexual', canton: 'GE', ongoing: 'yes', minors: 'no',
	    source: 'professional', contact_ok: 'yes' },
	it: { canton: 'TI', minors: 'unknown', source: 'saw' },
	en: { type: 'other', canton: 'abroad', contact_ok: 'no' },
	ro: { type: 'sexual', canton: 'BS' },
	hu: { type: 'labour', source: 'affected' },
	bg: { type: 'sexual', canton: 'BE', minors: 'no' },
	es: { type: 'labour', source: 'heard' },
	pt: { type: 'labour', canton: 'VD' },
	ru: { type: 'labour', ongoing: 'unknown' },
	ar: { canton: 'VD', source: 'affected' },
	fa: { type: 'criminality', contact_ok: 'yes' },
};

// How each language is reached, as a reporter would reach it: the
// browser's language, the language list (without script), or a link
// with ?lang=.
const REACH = {
	de: 'default', fr: 'browser', it: 'list', en: 'query', ro: 'browser',
	hu: 'list', bg: 'query', es: 'browser', pt: 'list', ru: 'browser',
	ar: 'browser', fa: 'list',
};
const LOCALE = { de: 'de-CH', fr: 'fr-CH', ro: 'ro-RO', es: 'es-ES',
	ru: 'ru-RU', ar: 'ar-EG' };

async function browserContext(browser, opts) {
	const ctx = await browser.newContext({ viewport: DESK, ...opts });
	ctx.on('response', (r) => {
		if (r.request().resourceType() === 'document')
			lastDoc = `${r.status()} ${r.url()}`;
	});
	ctx.on('requestfailed', (r) => {
		lastDoc = `failed ${r.url()}: ${r.failure()?.errorText}`;
	});
	return ctx;
}

async function htmlLang(page) {
	return page.getAttribute('html', 'lang');
}

// The language list is a <details>: open it, follow the link.
async function chooseLanguage(page, lang) {
	await page.click('details.langs > summary');
	await Promise.all([page.waitForURL(new RegExp('lang=' + lang)),
	    page.click(`details.langs a[hreflang="${lang}"]`)]);
}

async function openForm(browser, lang, viewport = DESK) {
	const how = REACH[lang];
	const ctx = await browserContext(browser, { javaScriptEnabled: false,
	    viewport, locale: LOCALE[lang] || 'de-CH' });
	const page = await ctx.newPage();
	if (how === 'query')
		await page.goto(`${base}/?lang=${lang}`);
	else
		await page.goto(`${base}/`);
	if (how === 'list') {
		check(await htmlLang(page) === 'de', 'a de-CH browser gets German');
		await chooseLanguage(page, lang);
	}
	check(await htmlLang(page) === lang, `page language ${lang}, got ${await htmlLang(page)}`);
	check(await page.getAttribute('html', 'dir') === (RTL.has(lang) ? 'rtl' :
	    'ltr'), 'direction');
	return { ctx, page, loaded: Date.now() };
}

// A field in a folded group: open the group first, as a person would.
async function reveal(page, name) {
	const sel = `#f-${name}`;
	if (await page.isVisible(sel))
		return;
	await page.click(`details.group:has(${sel}) > summary`);
	check(await page.isVisible(sel), `${name} shown once its group opened`);
}

async function fill(page, typed, chosen) {
	for (const [k, v] of Object.entries(typed)) {
		await reveal(page, k);
		await page.fill(`#f-${k}`, v);
	}
	for (const [k, v] of Object.entries(chosen)) {
		await reveal(page, k);
		await page.selectOption(`#f-${k}`, v);
	}
}

// Closes every open group again: what was typed must still be sent.
async function foldAll(page) {
	for (const s of await page.$$('details.group[open] > summary'))
		await s.click();
	check(await page.$$eval('details.group[open]', (d) => d.length) === 0,
	    'every group folded');
}

async function submit(page, urlPattern, selector = 'form#report button:not([name])') {
	await Promise.all([page.waitForURL(urlPattern, { timeout: 30000 }),
	    page.click(selector)]);
}

async function submitWhenOldEnough(page, loaded, urlPattern) {
	const wait = TOKEN_MIN_AGE_MS - (Date.now() - loaded);
	if (wait > 0)
		await sleep(wait);
	await submit(page, urlPattern);
}

// The received page is the POST's own answer (issue 13): the URL stays
// /submit with no query, the receipt is shown, no reference is.
async function expectReceived(page, lang, sent, flow) {
	const url = new URL(page.url());
	check(url.pathname === '/submit' && url.search === '',
	    'the received page is the answer to the post: ' + url);
	check(await htmlLang(page) === lang, 'received page in ' + lang);
	check(await page.title() === SITE, 'neutral title: ' + await page.title());
	const receipt = (await page.textContent('.receipt')).trim();
	check(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}-[0-9A-HJKMNP-TV-Z]$/
	    .test(receipt), 'receipt shown: ' + receipt);
	check(!/TL-[0-9A-Z]{4}/.test(await page.content()), 'no reference shown');
	check(await page.locator('#help a[href^="https://"]').count() === 3,
	    'help section on the received page');
	results.push({ receipt, lang, flow, fields: sent });
	return receipt;
}

// A received page in lang, for the page-state checks: a short report.
async function receivedPage(page, lang) {
	await page.goto(`${base}/?lang=${lang}`);
	await page.fill('#f-description', 'page state');
	await sleep(TOKEN_MIN_AGE_MS);
	await submit(page, /\/submit$/);
	check(await page.locator('.receipt').count() === 1, 'the received page');
}

// ---- the reporter's path, JavaScript off -------------------------------

async function reportInLanguage(browser, lang) {
	const { ctx, page, loaded } = await openForm(browser, lang, PHONE);
	try {
		check(await page.evaluate(() => document.scripts.length) === 0,
		    'the page has no script');
		await fill(page, TYPED[lang], CHOSEN[lang]);
		await foldAll(page);
		await submitWhenOldEnough(page, loaded, /\/submit$/);
		await expectReceived(page, lang, { ...TYPED[lang], ...CHOSEN[lang] },
		    'sent_at_once');
	} finally {
		await ctx.close();
	}
}

// Three files chosen in the file input (issue 14): run.py extracts them
// with the CLI and compares them byte for byte.
async function reportWithFiles(browser, dir) {
	const { ctx, page, loaded } = await openForm(browser, 'en', PHONE);
	try {
		check(await page.getAttribute('form#report', 'enctype') ===
		    'multipart/form-data', 'the form sends files');
		await page.fill('#f-description', 'A van, its plate, a contract');
		await page.setInputFiles('#f-files', ['photo.jpg', 'contract.pdf',
		    'notes.txt'].map((n) => join(dir, n)));
		await submitWhenOldEnough(page, loaded, /\/submit$/);
		// The received page shows the receipt (issue 13): run.py finds
		// the report by its lookup id.
		const receipt = (await page.textContent('.receipt')).trim();
		check(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}-[0-9A-HJKMNP-TV-Z]$/
		    .test(receipt), 'receipt: ' + receipt);
		writeFileSync(join(dir, 'receipt'), receipt);
	} finally {
		await ctx.close();
	}
}

async function failedSubmitKeepsText(browser, lang) {
	const { ctx, page, loaded } = await openForm(browser, lang, DESK);
	const typed = { ...TYPED[lang] };
	const description = typed.description;
	delete typed.description;
	try {
		await fill(page, typed, CHOSEN[lang]);
		await foldAll(page);
		await submitWhenOldEnough(page, loaded, /\/submit$/);
		check(await htmlLang(page) === lang, 'error page in ' + lang);
		const m = messages[lang];
		check(await page.title() === SITE, 'neutral title: ' + await page.title());
		const summary = page.locator('.error-summary[role="alert"]');
		check(await summary.count() === 1, 'one error summary');
		check((await summary.locator('h2').textContent()).trim() ===
		    m['Your report has not been sent yet'], 'summary heading translated');
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
		// nothing typed is lost, in folded groups neither: they come
		// back open
		for (const [k, v] of Object.entries(typed)) {
			check(await page.isVisible(`#f-${k}`), `${k} shown`);
			check(await page.inputValue(`#f-${k}`) === v, `${k} kept`);
		}
		for (const [k, v] of Object.entries(CHOSEN[lang]))
			check(await page.inputValue(`#f-${k}`) === v, `${k} kept`);
		check(await page.getAttribute('input[name="lang"]', 'value') === lang,
		    'language kept in the form');
		// the summary's link leads to the field, without script
		await link.click();
		check(page.url().endsWith('#f-description'), 'link followed');
		check(await page.evaluate(() => document.querySelector(':target')?.id)
		    === 'f-description', 'the field is the target');
		await page.fill('#f-description', description);
		await submit(page, /\/submit$/);
		// a contradicting contact answer gets its kind question once
		if (await page.locator('.receipt').count() === 0) {
			check(await page.locator('.error-summary a[href="#f-contact"]')
			    .count() === 1, 'the contact question');
			await submit(page, /\/submit$/,
			    '.error-summary button[name="confirm"]');
		}
		await expectReceived(page, lang, { ...TYPED[lang], description,
		    ...CHOSEN[lang] }, 'sent_after_an_error');
	} finally {
		await ctx.close();
	}
}

// ---- errors in view, at 360 x 640 and 1280 x 900 -------------------------

// The summary's heading and first line are within the first screen.
async function summaryInFirstScreen(page, kind) {
	const box = await page.evaluate(() => {
		window.scrollTo(0, 0);
		const s = document.querySelector('.error-summary');
		const li = s && s.querySelector('li');
		return s ? { top: s.getBoundingClientRect().top,
		    bottom: li.getBoundingClientRect().bottom,
		    h: window.innerHeight } : null;
	});
	check(box !== null, kind + ': an error summary');
	check(box.top >= 0 && box.bottom <= box.h,
	    `${kind}: summary at ${Math.round(box.top)}-${Math.round(box.bottom)} px ` +
	    `of a ${box.h} px screen`);
}

// Each kind of failed send: the description missing, sent too fast, a
// token the server cannot verify, and not stored (the server's real 503
// page); expired forms: expiredInView.
// "Too fast" must not depend on how loaded the machine is: the request
// goes to the server with a token fetched a moment before.
async function errorsInView(browser, lang, viewport) {
	const ctx = await browserContext(browser, { javaScriptEnabled: false,
	    viewport });
	const early = await ctx.newPage();	// its token ages meanwhile
	const page = await ctx.newPage();
	const form = `${base}/?lang=${lang}`;
	const loaded = Date.now();
	await early.goto(form);
	const kinds = {
		too_fast: async () => {
			await page.goto(form);
			await page.fill('#f-description', 'x');
			await page.route(`${base}/submit`, async (r) => {
				const html = await (await ctx.request.get(form)).text();
				const tok = html.match(/name="token" value="([^"]+)"/)[1];
				// The form is multipart/form-data (issue 14): the
				// token is the body of its own part.
				await r.continue({ postData: r.request().postData()
				    .replace(/(name="token"\r\n\r\n)[^\r]*/, '$1' + tok) });
			});
			await submit(page, /\/submit$/);
			await page.unroute(`${base}/submit`);
			check((await page.textContent('.error-summary')).includes(
			    messages[lang]['The form was sent very quickly. Please ' +
			    'check what you wrote and send it again.']), 'too fast');
		},
		token_not_valid: async () => {
			await page.goto(form);
			await page.fill('#f-description', 'x');
			await page.$eval('input[name="token"]', (e) => {
				e.value = 'A'.repeat(e.value.length);
			});
			await submit(page, /\/submit$/);
		},
		not_stored: async () => {
			await page.goto(form);
			await page.route(`${base}/submit`, (r) => r.fulfill({
			    status: 503, contentType: 'text/html; charset=utf-8',
			    body: notStored[lang] }));
			await page.fill('#f-description', 'x');
			await submit(page, /\/submit$/);
			await page.unroute(`${base}/submit`);
		},
	};
	try {
		for (const [kind, go] of Object.entries(kinds)) {
			await go();
			await summaryInFirstScreen(page, kind);
			if (viewport === PHONE)
				await page.screenshot({ path: join(shots,
				    `error-${kind}-${lang}-360.png`) });
		}
		await sleep(Math.max(0, TOKEN_MIN_AGE_MS - (Date.now() - loaded)));
		await submit(early, /\/submit$/);
		check(await early.getAttribute('#f-description', 'aria-invalid') ===
		    'true', 'empty: the description is marked');
		await summaryInFirstScreen(early, 'empty');
		if (viewport === PHONE)
			await early.screenshot({ path: join(shots,
			    `error-empty-${lang}-360.png`) });
	} finally {
		await ctx.close();
	}
}

// An expired form, for real: forms opened at the start of the suite in
// every language and at both widths, sent once they are over a minute
// old (run.py sets token_max_age = 60).
async function openForExpiry(browser) {
	const open = [];
	for (const viewport of [PHONE, DESK]) {
		const ctx = await browserContext(browser, { javaScriptEnabled: false,
		    viewport });
		for (const lang of LANGS) {
			const page = await ctx.newPage();
			await page.goto(`${base}/?lang=${lang}`);
			await page.fill('#f-description', 'x');
			open.push({ ctx, page, lang, viewport });
		}
	}
	return { open, loaded: Date.now() };
}

async function expiredInView(held) {
	await sleep(Math.max(0, TOKEN_MAX_AGE_MS - (Date.now() - held.loaded)));
	try {
		for (const { page, lang, viewport } of held.open) {
			await submit(page, /\/submit$/);
			check((await page.textContent('.error-summary')).includes(
			    messages[lang]['The form was open for a long time and has ' +
			    'expired. What you wrote is kept below. Please send it ' +
			    'again.']), `${lang} ${viewport.width}: expired`);
			await summaryInFirstScreen(page, `expired ${lang} ` +
			    viewport.width);
			check(await page.inputValue('#f-description') === 'x',
			    'kept what was typed');
			if (viewport === PHONE)
				await page.screenshot({ path: join(shots,
				    `error-expired-${lang}-360.png`) });
		}
	} finally {
		for (const ctx of new Set(held.open.map((o) => o.ctx)))
			await ctx.close();
	}
}

// ---- the form's length and the first screen at 360 px --------------------

async function formFitsAPhone(browser, lang) {
	const ctx = await browserContext(browser, { javaScriptEnabled: false,
	    viewport: PHONE });
	const page = await ctx.newPage();
	try {
		await page.goto(`${base}/?lang=${lang}`);
		const at = await page.evaluate(() => {
			const r = (s) => document.querySelector(s)
			    .getBoundingClientRect();
			return { send: r('form#report button:not([name])').bottom,
			    h1: r('h1').top, description: r('#f-description').top };
		});
		check(at.send <= SCREENS_TO_SEND * 800,
		    `send button at ${Math.round(at.send)} px (at most ${SCREENS_TO_SEND} x 800)`);
		check(at.h1 < 640 && at.description < 640,
		    `the first screen shows what this is and the description ` +
		    `(h1 at ${Math.round(at.h1)}, description at ${Math.round(at.description)})`);
		const groups = await page.$$eval('details.group', (d) =>
		    d.map((x) => x.open));
		check(groups.length === 5 && groups.every((o) => !o),
		    'five folded groups: ' + JSON.stringify(groups));
		// the language list, opened, still fits a 360 px screen
		await page.click('details.langs > summary');
		const n = await page.locator('details.langs a[hreflang]').count();
		check(n === LANGS.length, `${n} languages listed`);
		const wide = await page.evaluate(() =>
		    document.documentElement.scrollWidth);
		check(wide <= 360, `scrolls sideways at 360 px: ${wide}`);
		// mirrored where it matters: the red bar beside the numbers
		const side = await page.evaluate(() => {
			const s = getComputedStyle(document.querySelector('.danger'));
			return { left: s.borderLeftWidth, right: s.borderRightWidth };
		});
		check(RTL.has(lang) ? side.right === '6px' && side.left === '0px' :
		    side.left === '6px' && side.right === '0px',
		    'the danger box bar on the reading side: ' + JSON.stringify(side));
		check(await page.locator('main a[href="tel:117"]').count() === 1,
		    'the emergency numbers can be tapped');
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
		await ctx.route(NEUTRAL + '**', (r) =>
		    r.fulfill({ status: 200, contentType: 'text/html',
		    body: '<title>neutral</title>' }));
		for (const path of ['/?lang=fr', '/privacy', '/nope?lang=it']) {
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
		await reveal(page, 'municipality');
		await page.fill('#f-municipality', 'Bern');
		await submit(page, /\/submit$/);
	},
	contact_question: async (page, lang) => {
		await page.goto(`${base}/?lang=${lang}`);
		await page.fill('#f-description', 'x');
		await reveal(page, 'contact_ok');
		await page.selectOption('#f-contact_ok', 'yes');
		await sleep(TOKEN_MIN_AGE_MS);
		await submit(page, /\/submit$/);
		check(await page.locator('button[name="confirm"]').count() === 1,
		    'the question and its button');
	},
	received: receivedPage,
	privacy: async (page, lang) => page.goto(`${base}/privacy?lang=${lang}`),
	// coming back (issue 13): the receipt form, and its answer to a
	// receipt no report has (the same page, with a hint)
	followup: async (page, lang) => page.goto(`${base}/followup?lang=${lang}`),
	followup_unknown: async (page, lang) => {
		await page.goto(`${base}/followup?lang=${lang}`);
		await page.fill('#f-receipt', '7kq2 m9xd 4hjt p0wc r6na n');
		await submit(page, /\/followup$/, 'form.followup button');
		check(await page.locator('.error-summary').count() === 1,
		    'the hint for an unknown receipt');
	},
	not_found: async (page, lang) => page.goto(`${base}/nowhere?lang=${lang}`),
};

// axe on every state of one language, in one context; every <details>
// opened first, so that axe checks what is folded too.
async function axeLanguage(browser, lang) {
	const ctx = await browserContext(browser, { javaScriptEnabled: true,
	    bypassCSP: true });
	const page = await ctx.newPage();
	try {
		for (const state of Object.keys(STATES)) {
			await STATES[state](page, lang);
			check(await page.evaluate(() => document.scripts.length) === 0,
			    'the page has no script of its own');
			await page.evaluate(() => document.querySelectorAll('details')
			    .forEach((d) => { d.open = true; }));
			await page.addScriptTag({ content: axeSource });
			// Only violations carry every node: much faster on a long
			// page, and passes are still listed (one node each).
			const res = await page.evaluate((tags) => window.axe.run(document,
			    { runOnly: { type: 'tag', values: tags },
			    resultTypes: ['violations'] }), WCAG);
			const v = res.violations.map((x) => `${x.id}: ${x.help} (` +
			    x.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ') + ')');
			check(res.passes.length > 10, state + ': axe ran its rules');
			check(v.length === 0, `${state}: WCAG 2.1 A/AA violations:\n` +
			    v.join('\n'));
		}
		await page.goto(`${base}/?lang=${lang}`);
		const shift = await page.evaluate(() => new Promise((done) => {
			let sum = 0;
			new PerformanceObserver((l) => {
				for (const e of l.getEntries())
					sum += e.value;
			}).observe({ type: 'layout-shift', buffered: true });
			setTimeout(() => done(sum), 200);
		}));
		// Nothing on the page moves once shown; a shift far below what
		// a person notices (0.1 is "good") is the loaded machine's
		// timing, not the page.
		check(shift < 0.01, 'layout shift ' + shift);
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
			if (n.parentElement.closest('textarea,[lang="en"]') === null)
				out.push(n.nodeValue.trim());
		for (const el of document.querySelectorAll('[aria-label],[title],[placeholder],[alt]'))
			for (const a of ['aria-label', 'title', 'placeholder', 'alt'])
				if (el.getAttribute(a))
					out.push(el.getAttribute(a).trim());
		return out.filter((s) => s !== '');
	});
}

// Weight, own origin, no English left, 320 px: every state of one
// language, in one context (script off, as a reporter).
async function pageChecks(browser, lang) {
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
	const css = (await (await ctx.request.get(base + '/static/style.css'))
	    .body()).length;
	try {
		for (const state of Object.keys(STATES)) {
			await page.setViewportSize(DESK);
			await STATES[state](page, lang);
			const bytes = (await doc.body()).length + css;
			check(await htmlLang(page) === lang, state + ': html lang');
			check(await page.title() === SITE, state + ': neutral title');
			check(foreign.length === 0, 'only our own origin: ' + foreign);
			check(bytes > 1000 && bytes < PAGE_BUDGET,
			    `${state}: page weight ${bytes} bytes`);
			weights[`${state}_${lang}`] = bytes;
			if (state === 'form' || state === 'received')
				check(await page.locator('#help .orgs li').count() === 3,
				    state + ': the help section');
			if (lang !== 'en') {
				const m = messages[lang];
				const english = Object.keys(m).filter((id) => m[id] !== id);
				const long = english.filter((id) => id.split(' ').length >= 4);
				const texts = await shownTexts(page);
				const left = texts.filter((t) => english.includes(t) ||
				    long.some((id) => t.includes(id)));
				check(left.length === 0, `${state}: English on the page: ` +
				    left.join(' | '));
			}
			await page.setViewportSize({ width: 320, height: 640 });
			const wide = await page.evaluate(() =>
			    document.documentElement.scrollWidth);
			check(wide <= 320, `${state}: scrolls sideways at 320 px: ${wide}`);
		}
	} finally {
		await ctx.close();
	}
}

async function screenshots(browser, lang) {
	for (const viewport of [PHONE, DESK]) {
		const ctx = await browserContext(browser, { javaScriptEnabled: false,
		    viewport });
		const page = await ctx.newPage();
		try {
			await page.goto(`${base}/?lang=${lang}`);
			const file = join(shots, `form-${lang}-${viewport.width}.png`);
			await page.screenshot({ path: file, fullPage: true });
			check(readFileSync(file).length > 10000, 'screenshot written');
			if (viewport === PHONE) {
				await page.screenshot({ path: join(shots,
				    `first-screen-${lang}-360.png`) });
				await receivedPage(page, lang);
				await page.screenshot({ path: join(shots,
				    `received-${lang}-360.png`), fullPage: true });
			}
			if (readmeShot && lang === 'de' && viewport === DESK) {
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
		check(seen.some((s) => s.tag === 'SUMMARY'),
		    'tabbing reaches the folded groups');
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
		await receivedPage(page, 'fr');
		await page.emulateMedia({ media: 'print' });
		const shown = async (sel) => page.evaluate((s) =>
		    getComputedStyle(document.querySelector(s)).display !== 'none', sel);
		check(!await shown('header.top'), 'no header in print');
		check(!await shown('footer'), 'no footer in print');
		check(!await shown('.again'), 'no link in print');
		check(await shown('.receipt'), 'the receipt is printed');
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
	let held = null;
	await test('forms_opened_to_expire_in_every_language', async () => {
		held = await openForExpiry(browser);
	});
	await test('javascript_is_off_in_the_reporter_s_browser', () =>
	    javascriptIsOff(browser));
	if (arg('files', null) !== null)
		await test('report_with_three_files_without_javascript_reaches_received',
		    () => reportWithFiles(browser, arg('files')));
	// six at a time: two cores, shared
	for (const group of [LANGS.slice(0, 6), LANGS.slice(6)]) {
		await together(group.map((lang) =>
		    [`report_in_${lang}_at_360x640_without_javascript_reaches_received`,
		    () => reportInLanguage(browser, lang)]));
		await together(group.map((lang) =>
		    [`failed_submit_in_${lang}_at_1280x900_keeps_text_and_links_errors`,
		    () => failedSubmitKeepsText(browser, lang)]));
	}
	const jobs = [];
	for (const lang of LANGS)
		jobs.push(
		    [`errors_in_the_first_screen_${lang}_360x640`,
		    () => errorsInView(browser, lang, PHONE)],
		    [`errors_in_the_first_screen_${lang}_1280x900`,
		    () => errorsInView(browser, lang, DESK)],
		    [`form_${lang}_fits_three_phone_screens_list_and_direction`,
		    () => formFitsAPhone(browser, lang)],
		    [`axe_wcag21_aa_no_violations_every_state_${lang}`,
		    () => axeLanguage(browser, lang)],
		    [`every_state_${lang}_is_translated_light_own_origin_320px`,
		    () => pageChecks(browser, lang)],
		    [`screenshots_${lang}_360_and_1280`,
		    () => screenshots(browser, lang)]);
	await pool(jobs, 6);
	await test('an_expired_form_shows_its_summary_in_the_first_screen_every_language_both_widths',
	    () => expiredInView(held));
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
