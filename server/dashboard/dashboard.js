// The coordinators' dashboard: sign-in with the session cookie (/v1/session)
// and five charts drawn as SVG from GET /v1/stats (docs/protocol.md
// "Statistics", "Dashboard sign-in"). Plain JavaScript, no library, nothing
// loaded from elsewhere; the server's Content-Security-Policy allows this file
// and dashboard.css only, so nothing here sets a style attribute or runs inline.
//
// What a test can rely on: every drawn number is one SVG <rect> carrying
// data-chart, data-key (the cell's dimension values joined with "|", "" for
// none), data-by and data-query (the stats query it came from), and either
// data-count="N" or data-suppressed="true". Only cells with a count above zero
// or a suppressed one are drawn; the needs chart leaves out level 0 and cells
// without a level, the quarter chart the cells without a quarter (both are in
// the table).
'use strict';

(() => {
  // ---- German labels for every statistical value of schema/catalogue.json ----

  const HANDLUNGSFELD = {
    aufenthalt: 'Aufenthalt', sgb2: 'SGB II', sgb3: 'SGB III', sgb8: 'SGB VIII', sgb12: 'SGB XII',
    schule: 'Bildung/Schule', kita: 'Kita', arbeit: 'Arbeit', wohnen: 'Wohnen', gesundheit: 'Gesundheit',
    deutsch: 'Deutscherwerb', einbuergerung: 'Einbürgerung',
  };
  const NEED_LEVEL = { '0': 'Stufe 0 – kein Bedarf', '1': 'Stufe 1 – geringer Bedarf', '2': 'Stufe 2 – mittlerer Bedarf', '3': 'Stufe 3 – hoher Bedarf' };

  const VALUE_LABELS = {
    phase: {
      intake: 'Erstkontakt/Aufnahme', assessment: 'Klärung/Assessment', planning: 'Hilfeplanung',
      linking: 'Vermittlung', monitoring: 'Begleitung', evaluation: 'Auswertung', closed: 'Abgeschlossen',
    },
    closure_reason: {
      goals_met: 'Ziele erreicht', referred: 'Übergeleitet', moved_away: 'Weggezogen', no_contact: 'Kein Kontakt mehr',
      withdrawn: 'Von der Person beendet', other: 'Sonstiger Grund',
    },
    age_band: { under_18: 'unter 18', '18_26': '18–26', '27_44': '27–44', '45_64': '45–64', '65_plus': '65 und älter', unknown: 'unbekannt' },
    sex: { female: 'weiblich', male: 'männlich', diverse: 'divers', unknown: 'unbekannt' },
    origin_region: {
      eu: 'EU', europe_other: 'Übriges Europa', middle_east_north_africa: 'Naher Osten/Nordafrika',
      africa_other: 'Übriges Afrika', asia: 'Asien', americas: 'Amerika', oceania: 'Ozeanien', stateless: 'Staatenlos',
      unknown: 'unbekannt',
    },
    residence_category: {
      german: 'Deutsche Staatsangehörigkeit', eu_freedom_of_movement: 'EU-Freizügigkeit',
      settlement_permit: 'Niederlassungserlaubnis', residence_permit: 'Aufenthaltserlaubnis',
      temporary_protection: 'Vorübergehender Schutz (§ 24)', asylum_procedure: 'Asylverfahren (Gestattung)',
      toleration: 'Duldung', visa: 'Visum', other: 'Sonstige', unknown: 'unbekannt',
    },
    household_band: { '1': '1 Person', '2': '2 Personen', '3_4': '3–4 Personen', '5_plus': '5 und mehr Personen', unknown: 'unbekannt' },
    need: HANDLUNGSFELD,
    level: NEED_LEVEL,
    field: HANDLUNGSFELD,
    scope: { processing: 'Verarbeitung', share: 'Weitergabe', statistics: 'Statistik' },
    withdrawn: { no: 'nicht widerrufen', yes: 'widerrufen' },
    status: { open: 'Offen', in_progress: 'In Arbeit', achieved: 'Erreicht', abandoned: 'Aufgegeben' },
    target_type: {
      immigration_office: 'Ausländerbehörde', jobcenter: 'Jobcenter', employment_agency: 'Agentur für Arbeit',
      youth_office: 'Jugendamt', social_welfare_office: 'Sozialamt', health_service: 'Gesundheitsdienst',
      school: 'Schule', daycare: 'Kita', language_course: 'Sprachkurs', housing: 'Wohnungsstelle',
      counselling: 'Beratungsstelle', employer: 'Arbeitgeber', other: 'Sonstige Stelle',
    },
    outcome: {
      pending: 'Ausstehend', successful: 'Erfolgreich', partly_successful: 'Teilweise erfolgreich',
      unsuccessful: 'Nicht erfolgreich', cancelled: 'Abgebrochen',
    },
    barrier: {
      none: 'Keine Barriere', language: 'Sprache', documents: 'Fehlende Unterlagen', waiting_time: 'Wartezeit',
      capacity: 'Keine freien Plätze', eligibility: 'Kein Anspruch', costs: 'Kosten', distance: 'Entfernung',
      digital_access: 'Digitaler Zugang', discrimination: 'Diskriminierung', other: 'Sonstige Barriere',
    },
    mode: {
      in_person: 'Persönlich', phone: 'Telefon', video: 'Video', home_visit: 'Hausbesuch', written: 'Schriftlich',
      outreach: 'Aufsuchend',
    },
    interpreter: { none: 'Keine', professional: 'Professionell', volunteer: 'Ehrenamtlich', family: 'Familie/Bekannte' },
    minutes_band: { under_15: 'unter 15 Min.', '15_30': '15–30 Min.', '30_60': '30–60 Min.', over_60: 'über 60 Min.' },
  };

  const DIMENSION_LABELS = {
    site: 'Standort', phase: 'Phase', need: 'Handlungsfeld', level: 'Stufe', opened_quarter: 'Eröffnet (Quartal)',
    closed_quarter: 'Abgeschlossen (Quartal)', target_type: 'Art der Stelle', outcome: 'Ergebnis', barrier: 'Barriere',
  };

  const NULL_LABELS = { site: 'ohne Standort', opened_quarter: 'ohne Quartal', closed_quarter: 'noch nicht abgeschlossen' };

  function isQuarterDimension(name) { return /_quarter$/.test(name); }

  // "hamborn" → "Hamborn", "neumuehl-nord" → "Neumuehl-Nord".
  function siteLabel(site) {
    return site.split(/([-_ ])/).map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('').replace(/_/g, ' ');
  }

  function valueLabel(dimension, value) {
    if (value === null || value === undefined) return NULL_LABELS[dimension] || 'nicht angegeben';
    const text = String(value);
    if (dimension === 'site') return siteLabel(text);
    if (isQuarterDimension(dimension)) {
      const quarter = /^(\d{4})-Q([1-4])$/.exec(text);
      return quarter ? `Q${quarter[2]} ${quarter[1]}` : text;
    }
    const base = dimension.startsWith('need.') ? 'level' : dimension;
    const labels = VALUE_LABELS[base];
    return labels && Object.prototype.hasOwnProperty.call(labels, text) ? labels[text] : text;
  }

  function dimensionLabel(name) {
    if (name.startsWith('need.')) return `Bedarf ${HANDLUNGSFELD[name.slice(5)] || name.slice(5)}`;
    return DIMENSION_LABELS[name] || name;
  }

  const NUMBER_FORMAT = new Intl.NumberFormat('de-DE');
  const formatNumber = (n) => NUMBER_FORMAT.format(n);

  // ---- Colours: Okabe–Ito (safe for the common colour-vision deficiencies) ----

  const OKABE_ITO = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7'];
  const NULL_COLOUR = '#9A9A9A';
  const SERIES_COLOURS = {
    phase: {
      intake: '#E69F00', assessment: '#56B4E9', planning: '#009E73', linking: '#F0E442', monitoring: '#0072B2',
      evaluation: '#D55E00', closed: '#CC79A7',
    },
    level: { '1': '#9ECAE1', '2': '#4292C6', '3': '#08519C' },
    outcome: {
      pending: '#56B4E9', successful: '#009E73', partly_successful: '#F0E442', unsuccessful: '#D55E00',
      cancelled: '#CC79A7',
    },
    quarter_series: { opened: '#0072B2', closed: '#E69F00' },
  };

  function seriesColour(dimension, value, index) {
    if (value === null) return NULL_COLOUR;
    const known = SERIES_COLOURS[dimension];
    if (known && known[value]) return known[value];
    return OKABE_ITO[index % OKABE_ITO.length];
  }

  // Dark text on light colours, white on dark ones (WCAG relative luminance).
  function textColourOn(hex) {
    const channel = (i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    return luminance > 0.179 ? '#1B1B1B' : '#FFFFFF';
  }

  // The outline of a suppressed marker: light colours (yellow, light blue)
  // darkened so that the marker stands out against the white page.
  function outlineOf(hex) {
    if (textColourOn(hex) === '#FFFFFF') return hex;
    const dark = (i) => Math.round(parseInt(hex.slice(i, i + 2), 16) * 0.55).toString(16).padStart(2, '0');
    return `#${dark(1)}${dark(3)}${dark(5)}`;
  }

  // ---- The charts and their queries ----

  const CHARTS = [
    {
      id: 'open-by-phase-site', unit: ['offener Fall', 'offene Fälle'],
      // The whole site × phase table, closed cases drawn not: a table filtered
      // to the open phases would be suppressed on its own (decisions 91).
      queries: [{ series: null, query: 'count=cases&by=site,phase' }],
      render: renderOpenByPhaseSite,
    },
    {
      id: 'needs', unit: ['Bedarf', 'Bedarfe'],
      queries: [{ series: null, query: 'count=cases&by=need' }],
      render: renderNeeds,
    },
    {
      id: 'opened-closed', unit: ['Fall', 'Fälle'],
      queries: [
        { series: 'opened', label: 'Eröffnet', query: 'count=cases&by=opened_quarter' },
        { series: 'closed', label: 'Abgeschlossen', query: 'count=cases&by=closed_quarter' },
      ],
      render: renderOpenedClosed,
    },
    {
      id: 'referrals', unit: ['Vermittlung', 'Vermittlungen'],
      queries: [{ series: null, query: 'count=referrals&by=target_type,outcome' }],
      render: renderReferrals,
    },
    {
      id: 'barriers', unit: ['Vermittlung', 'Vermittlungen'],
      queries: [{ series: null, query: 'count=referrals&by=barrier' }],
      render: renderBarriers,
    },
  ];


  // ---- State ----

  const state = {
    generation: 0,       // bumped on every reload and sign-out; late answers of older ones are dropped
    results: new Map(),  // chart id → its answers, kept to redraw on resize
    k: null,
  };

  let SVG_NS = '';
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  // ---- HTTP ----

  class ApiError extends Error {
    constructor(status, code, message, retryAfter) {
      super(message);
      this.status = status;
      this.code = code;
      this.retryAfter = retryAfter;
    }
  }

  async function api(method, path, body) {
    const init = { method, credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, 'network', 'Der Server ist nicht erreichbar. Bitte die Verbindung prüfen und erneut versuchen.', null);
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (!response.ok) {
      const message = data && typeof data.message === 'string' ? data.message : `HTTP ${response.status}`;
      throw new ApiError(response.status, data && data.error, message, response.headers.get('Retry-After'));
    }
    if (data === null) throw new ApiError(response.status, 'bad_answer', 'Die Antwort des Servers war kein JSON.', null);
    return data;
  }

  // No site filter: a table filtered to one site would be suppressed on its
  // own, and set beside the unfiltered one it could give a suppressed cell
  // away (docs/decisions.md 91). The per-site view is the site dimension.
  function statsQuery(query) {
    return query;
  }

  // ---- Views ----

  function showView(which) {
    $('#loading-view').hidden = true;
    $('#login-view').hidden = which !== 'login';
    $('#dashboard-view').hidden = which !== 'dashboard';
  }

  // Signing out (or an expired session) leaves no figure behind in the page.
  function showLogin(message) {
    state.generation += 1;
    state.results.clear();
    state.asOf = 0;
    $('#as-of').textContent = '';
    for (const chart of CHARTS) {
      const section = sectionOf(chart);
      clearChart(section);
      setStatus(section, '', false);
      section.removeAttribute('aria-busy');
    }
    $('#signed-in-as').textContent = '';
    $('#login-password').value = '';
    $('#login-error').textContent = message || '';
    showView('login');
    $('#login-name').value ? $('#login-password').focus() : $('#login-name').focus();
  }

  function showDashboard(session) {
    $('#signed-in-as').textContent = session && session.name ? session.name : '';
    $('#login-error').textContent = '';
    showView('dashboard');
    loadAll();
  }

  function loginErrorMessage(error) {
    switch (error.status) {
      case 401: return 'Name oder Passwort ist falsch.';
      case 403: return 'Dieses Konto hat keine Koordinationsrolle; das Dashboard ist nur für die Koordination.';
      case 429: {
        const seconds = parseInt(error.retryAfter, 10);
        if (!Number.isFinite(seconds) || seconds <= 0) return 'Zu viele Versuche, bitte später erneut versuchen.';
        const minutes = Math.max(1, Math.ceil(seconds / 60));
        return `Zu viele Versuche, bitte in ${minutes} ${minutes === 1 ? 'Minute' : 'Minuten'} erneut versuchen.`;
      }
      case 503: return 'Der Server ist gerade ausgelastet. Bitte in einigen Sekunden erneut versuchen.';
      case 0: return error.message;
      default: return `Anmeldung fehlgeschlagen (HTTP ${error.status}): ${error.message}`;
    }
  }

  async function onLoginSubmit(event) {
    event.preventDefault();
    const name = $('#login-name').value.trim();
    const password = $('#login-password').value;
    const errorLine = $('#login-error');
    if (!name || !password) {
      errorLine.textContent = 'Bitte Name und Passwort eingeben.';
      return;
    }
    const submit = $('#login-submit');
    submit.disabled = true;
    $('#login-form').setAttribute('aria-busy', 'true');
    errorLine.textContent = '';
    try {
      const session = await api('POST', '/v1/session', { name, password });
      $('#login-password').value = '';
      showDashboard(session);
    } catch (error) {
      errorLine.textContent = loginErrorMessage(error);
      $('#login-password').value = '';
      $('#login-password').focus();
    } finally {
      submit.disabled = false;
      $('#login-form').removeAttribute('aria-busy');
    }
  }

  async function onLogout() {
    const button = $('#logout');
    button.disabled = true;
    let message = '';
    try {
      await api('DELETE', '/v1/session');
      message = '';
    } catch (error) {
      if (error.status !== 401) message = `Abmeldung nicht bestätigt: ${error.message}`;
    } finally {
      button.disabled = false;
    }
    showLogin(message);
  }

  function sessionExpired() {
    if (!$('#dashboard-view').hidden) showLogin('Die Sitzung ist abgelaufen. Bitte erneut anmelden.');
  }

  // ---- Loading ----

  function setCsvLinks(chart) {
    const links = $$(`a.csv-download[data-chart="${chart.id}"]`);
    chart.queries.forEach((q, i) => {
      if (links[i]) links[i].setAttribute('href', `/v1/stats?${statsQuery(q.query)}&format=csv`);
    });
  }

  function sectionOf(chart) { return $(`section.chart[data-chart="${chart.id}"]`); }

  function setStatus(section, text, isError) {
    const status = $('.chart-status', section);
    status.textContent = '';
    status.classList.toggle('is-error', Boolean(isError));
    if (!text) return;
    const p = document.createElement('p');
    p.className = isError ? 'chart-error' : 'chart-loading';
    if (isError) p.setAttribute('role', 'alert');
    p.textContent = text;
    status.appendChild(p);
  }

  function clearChart(section) {
    const svg = $('svg.chart-svg', section);
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    svg.removeAttribute('viewBox');
    $('ul.legend', section).textContent = '';
    $('table.figures', section).textContent = '';
    showFigures(section, false);
  }

  // The drawing, the legend and the table are shown only while they hold an answer.
  function showFigures(section, shown) {
    $('.chart-body', section).hidden = !shown;
    $('ul.legend', section).hidden = !shown;
    $('details.figures-box', section).hidden = !shown;
  }

  function validateAnswer(answer) {
    const ok = answer && Array.isArray(answer.dimensions) && Array.isArray(answer.cells) &&
      answer.cells.every((cell) => cell && (cell.suppressed === true || cell.count === null ||
        (Number.isInteger(cell.count) && cell.count >= 0)));
    if (!ok) throw new ApiError(200, 'bad_answer', 'Die Antwort des Servers hat nicht die erwartete Form.', null);
    return answer;
  }

  async function loadChart(chart, generation) {
    const section = sectionOf(chart);
    setCsvLinks(chart);
    setStatus(section, 'Wird geladen …', false);
    section.setAttribute('aria-busy', 'true');
    try {
      const answers = await Promise.all(chart.queries.map(async (q) => {
        const query = statsQuery(q.query);
        const answer = validateAnswer(await api('GET', `/v1/stats?${query}`));
        return { ...q, query, answer };
      }));
      if (generation !== state.generation) return;
      answers.forEach(({ answer }) => noteAnswer(answer));
      state.results.set(chart.id, answers);
      setStatus(section, '', false);
      drawChart(chart);
    } catch (error) {
      if (generation !== state.generation) return;
      if (error.status === 401) { sessionExpired(); return; }
      state.results.delete(chart.id);
      clearChart(section);
      const detail = error.status ? ` (HTTP ${error.status})` : '';
      setStatus(section, `Die Zahlen konnten nicht geladen werden${detail}: ${error.message}`, true);
    } finally {
      if (generation === state.generation) section.removeAttribute('aria-busy');
    }
  }

  function noteAnswer(answer) {
    if (Number.isInteger(answer.k)) {
      state.k = answer.k;
      $$('.k-value').forEach((el) => { el.textContent = String(answer.k); });
    }
    if (Number.isInteger(answer.as_of)) state.asOf = Math.max(state.asOf || 0, answer.as_of);
  }



  async function loadAll() {
    state.generation += 1;
    const generation = state.generation;
    state.asOf = 0;
    $('#as-of').textContent = 'Zahlen werden geladen …';
    await Promise.all(CHARTS.map((chart) => loadChart(chart, generation)));
    if (generation !== state.generation) return;
    const time = new Date().toLocaleTimeString('de-DE', { hour: '2-digit', minute: '2-digit' });
    $('#as-of').textContent = state.asOf
      ? `Abgerufen um ${time} Uhr · Datenstand: Änderung Nr. ${formatNumber(state.asOf)}`
      : `Abgerufen um ${time} Uhr`;
  }

  // ---- The answer as lookups ----

  function cellKey(dimensions, cell) {
    return dimensions.map((d) => (cell[d.name] === null || cell[d.name] === undefined ? '' : String(cell[d.name]))).join('|');
  }

  function isSuppressed(cell) { return cell.suppressed === true || cell.count === null; }

  function indexAnswer(answer) {
    const byKey = new Map();
    for (const cell of answer.cells) byKey.set(cellKey(answer.dimensions, cell), cell);
    return byKey;
  }

  const valueKey = (v) => (v === null || v === undefined ? '' : String(v));

  // One drawn number: what the rect carries.
  function item(chart, answerInfo, cell, titleParts) {
    const dimensions = answerInfo.answer.dimensions;
    const suppressed = isSuppressed(cell);
    const k = answerInfo.answer.k ?? state.k ?? 3;
    const unit = chart.unit;
    const amount = suppressed
      ? `gesperrt (weniger als k = ${k} oder rückrechenbar)`
      : `${formatNumber(cell.count)} ${cell.count === 1 ? unit[0] : unit[1]}`;
    return {
      chart: chart.id,
      key: cellKey(dimensions, cell),
      by: dimensions.map((d) => d.name).join(','),
      query: answerInfo.query,
      suppressed,
      count: suppressed ? null : cell.count,
      title: `${titleParts.join(' · ')}: ${amount}`,
    };
  }

  const drawn = (cell) => isSuppressed(cell) || cell.count > 0;

  // ---- SVG helpers ----

  function svgEl(name, attributes, parent) {
    const el = document.createElementNS(SVG_NS, name);
    for (const [key, value] of Object.entries(attributes || {})) el.setAttribute(key, String(value));
    if (parent) parent.appendChild(el);
    return el;
  }

  function svgText(parent, x, y, text, attributes) {
    const el = svgEl('text', { x, y, ...attributes }, parent);
    el.textContent = text;
    return el;
  }

  function hatchPattern(defs, id, colour) {
    const pattern = svgEl('pattern', {
      id, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)',
    }, defs);
    svgEl('rect', { width: 6, height: 6, fill: '#FFFFFF' }, pattern);
    svgEl('line', { x1: 1.5, y1: 0, x2: 1.5, y2: 6, stroke: colour, 'stroke-width': 2.2 }, pattern);
    return `url(#${id})`;
  }

  // The rect of one number with its data attributes and its tooltip.
  function numberRect(parent, it, geometry, colour, hatch) {
    const rect = svgEl('rect', geometry, parent);
    rect.setAttribute('data-chart', it.chart);
    rect.setAttribute('data-key', it.key);
    rect.setAttribute('data-by', it.by);
    rect.setAttribute('data-query', it.query);
    if (it.suppressed) {
      rect.setAttribute('data-suppressed', 'true');
      rect.setAttribute('fill', hatch);
      rect.setAttribute('stroke', colour === NULL_COLOUR ? '#6B6B6B' : outlineOf(colour));
      rect.setAttribute('stroke-width', '1.5');
      rect.setAttribute('stroke-dasharray', '3 2');
      rect.setAttribute('class', 'mark mark-suppressed');
    } else {
      rect.setAttribute('data-count', String(it.count));
      rect.setAttribute('fill', colour);
      rect.setAttribute('class', 'mark');
    }
    svgEl('title', {}, rect).textContent = it.title;
    return rect;
  }

  // Ticks 1, 2 or 5 × 10^n, integers, at most `most` of them above zero.
  function axisFor(max, most) {
    const top = Math.max(1, max);
    const raw = top / most;
    const magnitude = 10 ** Math.floor(Math.log10(raw));
    let step = 1;
    for (const m of [1, 2, 5, 10]) {
      if (m * magnitude >= raw) { step = m * magnitude; break; }
    }
    step = Math.max(1, Math.round(step));
    const end = Math.ceil(top / step) * step;
    const ticks = [];
    for (let t = 0; t <= end; t += step) ticks.push(t);
    return { end, ticks };
  }

  function availableWidth(section) {
    const body = $('.chart-body', section);
    return Math.max(280, Math.floor(body.clientWidth || 900));
  }

  const textWidth = (text, px) => text.length * px * 0.58;

  // Vertical bars in groups (one group per x value, one bar per series).
  // groups: [{label}], series: [{label, colour}], bars: [{group, series, it}].
  function drawGroupedBars(section, chartId, groups, series, bars, unitLabel) {
    const svg = $('svg.chart-svg', section);
    const width = availableWidth(section);
    const nS = Math.max(1, series.length);
    const nG = Math.max(1, groups.length);
    const left = 56, right = 12, top = 24, plotH = 230, labelH = 40;
    const groupGap = nS > 2 ? 22 : 16, barGap = 2;
    const maxBar = nS > 2 ? 30 : 40;
    const fit = ((width - left - right) / nG - groupGap) / nS - barGap;
    const barW = Math.max(nS > 2 ? 9 : 16, Math.min(maxBar, Math.floor(fit)));
    const groupW = nS * (barW + barGap) - barGap;
    const plotW = Math.max(width - left - right, nG * (groupW + groupGap));
    const totalW = left + plotW + right;
    const totalH = top + plotH + labelH;
    svg.setAttribute('viewBox', `0 0 ${totalW} ${totalH}`);
    svg.setAttribute('width', totalW);
    svg.setAttribute('height', totalH);

    const defs = svgEl('defs', {}, svg);
    const hatches = series.map((s, i) => hatchPattern(defs, `hatch-${chartId}-${i}`, s.colour));

    const published = bars.filter((b) => !b.it.suppressed).map((b) => b.it.count);
    const axis = axisFor(published.length ? Math.max(...published) : 1, 5);
    const y = (v) => top + plotH - (v / axis.end) * plotH;

    const grid = svgEl('g', { class: 'axis' }, svg);
    for (const t of axis.ticks) {
      svgEl('line', { x1: left, x2: left + plotW, y1: y(t), y2: y(t), class: t === 0 ? 'baseline' : 'gridline' }, grid);
      svgText(grid, left - 8, y(t) + 4, formatNumber(t), { 'text-anchor': 'end', class: 'tick-label' });
    }
    svgText(grid, 2, top - 12, unitLabel, { 'text-anchor': 'start', class: 'axis-title' });

    const groupX = (g) => left + groupGap / 2 + g * (plotW / nG) + (plotW / nG - groupGap - groupW) / 2;
    groups.forEach((group, g) => {
      const cx = groupX(g) + groupW / 2;
      svgText(svg, cx, top + plotH + 18, group.label, { 'text-anchor': 'middle', class: 'group-label' });
    });

    const marks = svgEl('g', { class: 'marks' }, svg);
    const suppressedH = 18;
    for (const bar of bars) {
      const x = groupX(bar.group) + bar.series * (barW + barGap);
      const colour = series[bar.series].colour;
      if (bar.it.suppressed) {
        numberRect(marks, bar.it, { x, y: y(0) - suppressedH, width: barW, height: suppressedH }, colour, hatches[bar.series]);
        const label = svgText(marks, 0, 0, 'gesperrt', { class: 'value-label value-suppressed', 'text-anchor': 'start' });
        label.setAttribute('transform', `translate(${x + barW / 2 + 4} ${y(0) - suppressedH - 4}) rotate(-90)`);
      } else {
        const h = (bar.it.count / axis.end) * plotH;
        numberRect(marks, bar.it, { x, y: y(0) - h, width: barW, height: h }, colour, hatches[bar.series]);
        const text = formatNumber(bar.it.count);
        if (textWidth(text, 11) <= barW + 6) {
          svgText(marks, x + barW / 2, y(0) - h - 4, text, { 'text-anchor': 'middle', class: 'value-label' });
        }
      }
    }
    if (!bars.length) drawEmpty(svg, left + plotW / 2, top + plotH / 2);
  }

  // Horizontal stacked bars (one row per value, one segment per series).
  // Suppressed cells are hatched chips after the row's bar: their width means nothing.
  function drawStackedRows(section, chartId, rows, series, segments, unitLabel) {
    const svg = $('svg.chart-svg', section);
    const width = availableWidth(section);
    const rowH = 28, barH = 18, top = 8, axisH = 34;
    const labelW = Math.min(220, Math.max(60, ...rows.map((r) => textWidth(r.label, 13))) + 12);
    const chipW = 12, chipGap = 3;
    const chipsPerRow = rows.map((_, r) => segments.filter((s) => s.row === r && s.it.suppressed).length);
    const maxChips = Math.max(0, ...chipsPerRow);
    const reserve = maxChips ? 8 + maxChips * (chipW + chipGap) + 62 : 8;
    const plotLeft = labelW + 8;
    const plotW = Math.max(110, width - plotLeft - reserve - 8);
    const totalW = plotLeft + plotW + reserve + 8;
    const totalH = top + rows.length * rowH + axisH;
    svg.setAttribute('viewBox', `0 0 ${totalW} ${totalH}`);
    svg.setAttribute('width', totalW);
    svg.setAttribute('height', totalH);

    const defs = svgEl('defs', {}, svg);
    const hatches = series.map((s, i) => hatchPattern(defs, `hatch-${chartId}-${i}`, s.colour));

    const sums = rows.map((_, r) => segments.filter((s) => s.row === r && !s.it.suppressed)
      .reduce((sum, s) => sum + s.it.count, 0));
    const axis = axisFor(Math.max(1, ...sums), Math.max(2, Math.min(6, Math.floor(plotW / 70))));
    const x = (v) => plotLeft + (v / axis.end) * plotW;
    const plotBottom = top + rows.length * rowH;

    const grid = svgEl('g', { class: 'axis' }, svg);
    for (const t of axis.ticks) {
      svgEl('line', { x1: x(t), x2: x(t), y1: top, y2: plotBottom, class: t === 0 ? 'baseline' : 'gridline' }, grid);
      svgText(grid, x(t), plotBottom + 16, formatNumber(t), { 'text-anchor': 'middle', class: 'tick-label' });
    }
    svgText(grid, plotLeft + plotW, plotBottom + 31, unitLabel, { 'text-anchor': 'end', class: 'axis-title' });

    const marks = svgEl('g', { class: 'marks' }, svg);
    rows.forEach((row, r) => {
      const rowTop = top + r * rowH + (rowH - barH) / 2;
      svgText(svg, labelW, rowTop + barH / 2 + 4.5, row.label, { 'text-anchor': 'end', class: 'row-label' });
      let running = 0;
      let chipX = null;
      const mine = segments.filter((s) => s.row === r);
      for (const seg of mine.filter((s) => !s.it.suppressed)) {
        const x0 = x(running);
        running += seg.it.count;
        const w = x(running) - x0;
        const colour = series[seg.series].colour;
        numberRect(marks, seg.it, { x: x0, y: rowTop, width: w, height: barH }, colour, hatches[seg.series]);
        const text = formatNumber(seg.it.count);
        if (textWidth(text, 11) + 6 <= w) {
          svgText(marks, x0 + w / 2, rowTop + barH / 2 + 4, text, {
            'text-anchor': 'middle', class: 'value-label value-inside', fill: textColourOn(colour),
          });
        }
      }
      chipX = x(running) + (running > 0 ? 6 : 2);
      const chips = mine.filter((s) => s.it.suppressed);
      for (const seg of chips) {
        const colour = series[seg.series].colour;
        numberRect(marks, seg.it, { x: chipX, y: rowTop, width: chipW, height: barH }, colour, hatches[seg.series]);
        chipX += chipW + chipGap;
      }
      if (chips.length) {
        svgText(marks, chipX + 3, rowTop + barH / 2 + 4, 'gesperrt', { class: 'value-label value-suppressed' });
      }
    });
    if (!segments.length) drawEmpty(svg, plotLeft + plotW / 2, top + (rows.length * rowH) / 2);
  }

  function drawEmpty(svg, cx, cy) {
    svgText(svg, cx, cy, 'Keine Zahlen für diese Auswahl', { 'text-anchor': 'middle', class: 'empty-label' });
  }

  // ---- Legend and table ----

  function legendSwatch(li, colour, hatchId) {
    const svg = svgEl('svg', { width: 16, height: 16, viewBox: '0 0 16 16', 'aria-hidden': 'true', class: 'swatch' });
    if (hatchId) {
      const defs = svgEl('defs', {}, svg);
      const fill = hatchPattern(defs, hatchId, '#555555');
      svgEl('rect', { x: 1, y: 1, width: 14, height: 14, fill, stroke: '#555555', 'stroke-width': 1.5, 'stroke-dasharray': '3 2' }, svg);
    } else {
      svgEl('rect', { x: 1, y: 1, width: 14, height: 14, rx: 2, fill: colour }, svg);
    }
    li.appendChild(svg);
  }

  function drawLegend(section, chartId, series, anySuppressed, k) {
    const ul = $('ul.legend', section);
    ul.textContent = '';
    for (const s of series) {
      const li = document.createElement('li');
      legendSwatch(li, s.colour, null);
      li.appendChild(document.createTextNode(s.label));
      ul.appendChild(li);
    }
    const li = document.createElement('li');
    li.className = 'legend-suppressed';
    legendSwatch(li, null, `hatch-legend-${chartId}`);
    const text = anySuppressed
      ? `gesperrt: unter k = ${k} oder rückrechenbar – nicht null; Größe des Kästchens ohne Bedeutung`
      : `gesperrt (hier keine): unter k = ${k} oder rückrechenbar`;
    li.appendChild(document.createTextNode(text));
    ul.appendChild(li);
  }

  function countCell(tr, cell, header) {
    const td = document.createElement(header ? 'th' : 'td');
    if (!cell) {
      td.textContent = '0';
    } else if (isSuppressed(cell)) {
      td.textContent = 'gesperrt';
      td.className = 'suppressed';
    } else {
      td.textContent = formatNumber(cell.count);
    }
    if (header) td.setAttribute('scope', 'row');
    tr.appendChild(td);
    return td;
  }

  function headerCell(tr, text, scope) {
    const th = document.createElement('th');
    th.textContent = text;
    if (scope) th.setAttribute('scope', scope);
    tr.appendChild(th);
    return th;
  }

  function marginsOf(answer, dimension) {
    const map = new Map();
    const list = answer.margins && Array.isArray(answer.margins[dimension]) ? answer.margins[dimension] : [];
    for (const m of list) map.set(valueKey(m[dimension]), m);
    return map;
  }

  // The exact numbers of one answer: a cross table for two dimensions (with
  // the margins and the total), a list for one.
  function drawTable(section, answer, caption) {
    const table = $('table.figures', section);
    table.textContent = '';
    const cap = document.createElement('caption');
    cap.textContent = caption;
    table.appendChild(cap);
    const thead = document.createElement('thead');
    const tbody = document.createElement('tbody');
    const tfoot = document.createElement('tfoot');
    table.append(thead, tbody, tfoot);
    const byKey = indexAnswer(answer);
    const [d0, d1] = answer.dimensions;
    const head = document.createElement('tr');
    thead.appendChild(head);
    headerCell(head, dimensionLabel(d0.name), 'col');
    if (d1) {
      const rowMargins = marginsOf(answer, d0.name);
      const colMargins = marginsOf(answer, d1.name);
      for (const v of d1.values) headerCell(head, valueLabel(d1.name, v), 'col');
      headerCell(head, 'Summe', 'col');
      for (const v0 of d0.values) {
        const tr = document.createElement('tr');
        headerCell(tr, valueLabel(d0.name, v0), 'row');
        for (const v1 of d1.values) countCell(tr, byKey.get(`${valueKey(v0)}|${valueKey(v1)}`));
        countCell(tr, rowMargins.get(valueKey(v0))).classList.add('margin');
        tbody.appendChild(tr);
      }
      const sum = document.createElement('tr');
      headerCell(sum, 'Summe', 'row');
      for (const v1 of d1.values) countCell(sum, colMargins.get(valueKey(v1))).classList.add('margin');
      if (answer.total) countCell(sum, answer.total).classList.add('margin');
      tfoot.appendChild(sum);
    } else {
      headerCell(head, 'Anzahl', 'col');
      for (const v0 of d0.values) {
        const tr = document.createElement('tr');
        headerCell(tr, valueLabel(d0.name, v0), 'row');
        countCell(tr, byKey.get(valueKey(v0)));
        tbody.appendChild(tr);
      }
      if (answer.total) {
        const sum = document.createElement('tr');
        headerCell(sum, 'Summe', 'row');
        countCell(sum, answer.total).classList.add('margin');
        tfoot.appendChild(sum);
      }
    }
  }

  // ---- The five charts ----

  function drawChart(chart) {
    const answers = state.results.get(chart.id);
    if (!answers) return;
    const section = sectionOf(chart);
    clearChart(section);
    showFigures(section, true);
    chart.render(chart, section, answers);
  }

  // Series of dimension `dim`: the values with at least one drawn cell.
  function seriesOf(answer, dimIndex, keep) {
    const dim = answer.dimensions[dimIndex];
    const used = new Set(answer.cells.filter(drawn).map((c) => valueKey(c[dim.name])));
    return dim.values
      .map((v, i) => ({ value: v, label: valueLabel(dim.name, v), colour: seriesColour(dim.name, v, i) }))
      .filter((s) => used.has(valueKey(s.value)) && (!keep || keep(s.value)));
  }

  function kOf(answers) { return answers[0].answer.k ?? state.k ?? 3; }

  function renderTwoWay(chart, section, info, options) {
    const answer = info.answer;
    const [d0, d1] = answer.dimensions;
    const series = seriesOf(answer, 1, options.keepSeries);
    const seriesIndex = new Map(series.map((s, i) => [valueKey(s.value), i]));
    const groups = d0.values.map((v) => ({ value: v, label: valueLabel(d0.name, v) }));
    const groupIndex = new Map(groups.map((g, i) => [valueKey(g.value), i]));
    const marks = [];
    for (const cell of answer.cells) {
      if (!drawn(cell)) continue;
      const s = seriesIndex.get(valueKey(cell[d1.name]));
      const g = groupIndex.get(valueKey(cell[d0.name]));
      if (s === undefined || g === undefined) continue;
      const it = item(chart, info, cell, [valueLabel(d0.name, cell[d0.name]), valueLabel(d1.name, cell[d1.name])]);
      marks.push({ group: g, row: g, series: s, it });
    }
    const unitLabel = chart.unit[1].replace(/^./, (c) => c.toUpperCase());
    if (options.layout === 'grouped') drawGroupedBars(section, chart.id, groups, series, marks, unitLabel);
    else drawStackedRows(section, chart.id, groups, series, marks, unitLabel);
    drawLegend(section, chart.id, series, marks.some((m) => m.it.suppressed), kOf([info]));
    drawTable(section, answer, `${dimensionLabel(d0.name)} × ${dimensionLabel(d1.name)}: ${chart.unit[1]}`);
  }

  function renderOpenByPhaseSite(chart, section, answers) {
    renderTwoWay(chart, section, answers[0], { layout: 'grouped', keepSeries: (phase) => phase !== 'closed' });
  }

  function renderNeeds(chart, section, answers) {
    renderTwoWay(chart, section, answers[0], {
      layout: 'stacked', keepSeries: (level) => level === '1' || level === '2' || level === '3',
    });
  }

  function renderReferrals(chart, section, answers) {
    renderTwoWay(chart, section, answers[0], { layout: 'stacked' });
  }

  function renderBarriers(chart, section, answers) {
    const info = answers[0];
    const answer = info.answer;
    const d0 = answer.dimensions[0];
    const colour = '#0072B2';
    const series = [{ label: 'Vermittlungen mit dieser Barriere', colour }];
    const rows = d0.values.map((v) => ({ value: v, label: valueLabel(d0.name, v) }));
    const rowIndex = new Map(rows.map((r, i) => [valueKey(r.value), i]));
    const marks = [];
    for (const cell of answer.cells) {
      if (!drawn(cell)) continue;
      const r = rowIndex.get(valueKey(cell[d0.name]));
      if (r === undefined) continue;
      marks.push({ row: r, series: 0, it: item(chart, info, cell, [valueLabel(d0.name, cell[d0.name])]) });
    }
    drawStackedRows(section, chart.id, rows, series, marks, 'Vermittlungen');
    drawLegend(section, chart.id, series, marks.some((m) => m.it.suppressed), kOf(answers));
    drawTable(section, answer, `${dimensionLabel(d0.name)}: Vermittlungen`);
  }

  function quarterOrder(a, b) {
    if (a === null) return b === null ? 0 : 1;
    if (b === null) return -1;
    return String(a).localeCompare(String(b));
  }

  function renderOpenedClosed(chart, section, answers) {
    const quarters = [];
    const seen = new Set();
    for (const info of answers) {
      for (const v of info.answer.dimensions[0].values) {
        const key = v === null ? null : String(v);
        if (!seen.has(key)) {
          seen.add(key);
          quarters.push(key);
        }
      }
    }
    quarters.sort(quarterOrder);
    const drawnQuarters = quarters.filter((q) => q !== null);
    const groupIndex = new Map(drawnQuarters.map((q, i) => [valueKey(q), i]));
    const series = answers.map((info) => ({ label: info.label, colour: SERIES_COLOURS.quarter_series[info.series] }));
    const marks = [];
    answers.forEach((info, s) => {
      const dim = info.answer.dimensions[0].name;
      for (const cell of info.answer.cells) {
        if (!drawn(cell) || cell[dim] === null || cell[dim] === undefined) continue;
        const g = groupIndex.get(valueKey(cell[dim]));
        if (g === undefined) continue;
        marks.push({ group: g, series: s, it: item(chart, info, cell, [info.label, valueLabel(dim, cell[dim])]) });
      }
    });
    const groups = drawnQuarters.map((q) => ({ label: valueLabel('opened_quarter', q) }));
    drawGroupedBars(section, chart.id, groups, series, marks, 'Fälle');
    drawLegend(section, chart.id, series, marks.some((m) => m.it.suppressed), kOf(answers));
    drawQuarterTable(section, answers, quarters);
  }

  // One table for both answers: a row per quarter, a column per answer.
  function drawQuarterTable(section, answers, quarters) {
    const table = $('table.figures', section);
    table.textContent = '';
    const cap = document.createElement('caption');
    cap.textContent = 'Eröffnete und abgeschlossene Fälle je Quartal';
    table.appendChild(cap);
    const thead = document.createElement('thead');
    const tbody = document.createElement('tbody');
    const tfoot = document.createElement('tfoot');
    table.append(thead, tbody, tfoot);
    const head = document.createElement('tr');
    thead.appendChild(head);
    headerCell(head, 'Quartal', 'col');
    for (const info of answers) headerCell(head, info.label, 'col');
    const indexes = answers.map((info) => indexAnswer(info.answer));
    for (const q of quarters) {
      const tr = document.createElement('tr');
      headerCell(tr, q === null ? 'ohne Quartal (beim Abschluss: noch offen)' : valueLabel('opened_quarter', q), 'row');
      indexes.forEach((index) => countCell(tr, index.get(valueKey(q))));
      tbody.appendChild(tr);
    }
    const sum = document.createElement('tr');
    headerCell(sum, 'Summe', 'row');
    for (const info of answers) countCell(sum, info.answer.total).classList.add('margin');
    tfoot.appendChild(sum);
  }

  // ---- Start ----

  let resizeTimer = 0;
  let lastWidth = 0;
  function onResize() {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      const width = document.documentElement.clientWidth;
      if (width === lastWidth || $('#dashboard-view').hidden) return;
      lastWidth = width;
      for (const chart of CHARTS) drawChart(chart);
    }, 150);
  }

  async function start() {
    SVG_NS = $('svg.chart-svg').namespaceURI;
    lastWidth = document.documentElement.clientWidth;
    $('#login-form').addEventListener('submit', onLoginSubmit);
    $('#logout').addEventListener('click', onLogout);
    $('#refresh').addEventListener('click', () => loadAll());
    window.addEventListener('resize', onResize);
    try {
      const session = await api('GET', '/v1/session');
      showDashboard(session);
    } catch (error) {
      showLogin(error.status === 401 ? '' : `Die Anmeldung konnte nicht geprüft werden: ${error.message}`);
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
