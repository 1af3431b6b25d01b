/*
 * civibot analytics dashboard (administrators). Plain JavaScript, no build
 * step, no external code: the charts are SVG drawn here, each with a text
 * summary for screen readers and a table.
 *
 * Data: GET /console/api/analytics?from=&to= (JSON), CSV downloads from
 * /console/api/analytics/export. Everything from the server is put into
 * the page with textContent, never parsed as HTML.
 */
(function () {
  'use strict';
  var C = window.civibotCommon; // common.js

  var API = '/console/api';
  var LANG_KEY = 'civibot-console-lang';
  var SVG = 'http://www.w3.org/2000/svg';
  var CHANNELS = ['web', 'telegram', 'sms', 'voice', 'email', 'whatsapp'];

  var TEXT = {
    de: {
      docTitle: 'civibot – Auswertung',
      skip: 'Zum Inhalt springen',
      heading: 'Auswertung',
      back: 'Zur Konsole',
      language: 'Sprache',
      title: 'Auswertung für die Stadt',
      lead: 'Wie der Chat-Assistent den Bürgerinnen und Bürgern hilft – ohne personenbezogene Daten.',
      from: 'Von',
      to: 'Bis',
      show: 'Anzeigen',
      presets: 'Zeitraum wählen',
      days7: '7 Tage',
      days30: '30 Tage',
      days90: '90 Tage',
      kpis: 'Kennzahlen',
      hDays: 'Gespräche pro Tag und Kanal',
      hContainment: 'Ohne Übergabe gelöst (Containment)',
      explainContainment: 'Anteil der Gespräche eines Tages, die der Assistent ohne Sachbearbeitung beantwortet hat.',
      hReasons: 'Übergaben nach Grund',
      explainReasons: 'Anteil aller Gespräche, die aus diesem Grund an eine Person gingen.',
      hWait: 'Wartezeit bis zur Sachbearbeitung (Median)',
      hFeedback: 'Bewertungen nach Seite',
      hRatings: 'Zufriedenheit mit der Sachbearbeitung',
      explainRatings: 'Bewertungen der Bürgerinnen und Bürger (1 bis 5) nach einem Gespräch mit einer Person, nach Kanal.',
      noRatings: 'Keine Bewertungen im Zeitraum.',
      tRatings: 'Zufriedenheit (Person)',
      subRatings: 'Ø {avg} von 5 aus {ratings}',
      ratings_one: '{n} Bewertung', ratings_other: '{n} Bewertungen',
      average: 'Durchschnitt',
      satisfied: 'Zufrieden (4–5)',
      channel: 'Kanal',
      explainFeedback: 'Daumen hoch und runter für Antworten aus der jeweiligen Seite.',
      hQuestions: 'Unbeantwortete und unsichere Fragen',
      explainQuestions: 'Ähnliche Fragen sind zusammengefasst, häufigste zuerst. Personenbezogene Angaben sind entfernt. Fragen werden {days} Tage aufbewahrt.',
      noQuestions: 'Keine – der Assistent konnte alle Fragen sicher beantworten.',
      asTable: 'Als Tabelle anzeigen',
      csv: 'CSV herunterladen',
      loading: 'Lade Auswertung …',
      loaded: 'Zeitraum {from} bis {to} ({tz}), Stand {time}.',
      needLogin: 'Bitte melden Sie sich zuerst in der Konsole an.',
      loginLink: 'Zur Anmeldung',
      adminOnly: 'Die Auswertung ist nur für die Administration.',
      off: 'Die Auswertung ist abgeschaltet (analytics.enabled).',
      unavailable: 'Die Auswertung ist gerade nicht erreichbar. Bitte später erneut versuchen.',
      invalid: 'Der Zeitraum passt nicht: {msg}',
      tConversations: 'Gespräche',
      tContainment: 'Ohne Übergabe gelöst',
      tHandoff: 'An eine Person übergeben',
      tWait: 'Wartezeit (Median)',
      tFeedback: 'Bewertungen',
      subContainment: '{conv}',
      subHandoff: '{conv}, davon {tickets}',
      subWait: 'aus {claims}',
      conv_one: '{n} Gespräch', conv_other: '{n} Gespräche',
      tickets_one: '{n} Rückrufwunsch', tickets_other: '{n} Rückrufwünsche',
      claims_one: '{n} Übernahme', claims_other: '{n} Übernahmen',
      days_one: '{n} Tag', days_other: '{n} Tagen',
      subFeedback: '{up} hilfreich · {down} nicht hilfreich',
      none: '–',
      date: 'Tag',
      total: 'Gesamt',
      handedOff: 'Übergeben',
      containment: 'Ohne Übergabe',
      reason: 'Grund',
      conversations: 'Gespräche',
      rate: 'Anteil an allen',
      share: 'Anteil an Übergaben',
      medianWait: 'Median',
      claims: 'Übernahmen',
      page: 'Seite',
      up: 'Hilfreich',
      down: 'Nicht hilfreich',
      count: 'Anzahl',
      question: 'Frage (häufigste Formulierung)',
      kind: 'Art',
      closest: 'Nächste Seite',
      last: 'Zuletzt',
      alsoAsked: 'Auch: {list}',
      sumDays: '{conv} in {days}, am meisten am {max} ({m}).',
      sumDaysNone: 'Keine Gespräche im Zeitraum.',
      sumContainment: 'Ohne Übergabe gelöst: insgesamt {p}. Tagesspanne {lo} bis {hi}.',
      sumReasons: 'Übergaben nach Grund: {list}.',
      sumWait: 'Median der Wartezeit im Zeitraum: {w}, aus {claims}.',
      sumWaitNone: 'Keine Übernahmen durch die Sachbearbeitung im Zeitraum.',
      sumFeedback: 'Bewertungen nach Seite: {list}.',
      noData: 'Keine Daten im Zeitraum',
      seconds: '{n} s',
      minutes: '{n} min',
      ch_web: 'Web-Chat', ch_telegram: 'Telegram', ch_sms: 'SMS', ch_voice: 'Telefon', ch_email: 'E-Mail', ch_whatsapp: 'WhatsApp',
      r_low_confidence: 'Keine sichere Antwort', r_human_request: 'Wunsch nach einem Menschen', r_button: 'Schaltfläche „Mit einem Menschen sprechen“',
      r_case_specific: 'Persönlicher Einzelfall', r_urgent: 'Dringend', r_prompt_injection: 'Manipulationsversuch',
      r_out_of_scope: 'Kein Thema der Stadt', r_no_match: 'Telefon: nicht verstanden', r_unknown: 'Unbekannt',
      k_unanswered: 'unbeantwortet', k_low_confidence: 'unsicher beantwortet', k_clarify: 'Rückfrage nötig', k_out_of_scope: 'kein Stadtthema', k_not_covered: 'Seite sagt es nicht'
    },
    en: {
      docTitle: 'civibot – Analytics',
      skip: 'Skip to content',
      heading: 'Analytics',
      back: 'Back to the console',
      language: 'Language',
      title: 'Analytics for the city',
      lead: 'How the chat assistant helps citizens – without personal data.',
      from: 'From',
      to: 'To',
      show: 'Show',
      presets: 'Choose a period',
      days7: '7 days',
      days30: '30 days',
      days90: '90 days',
      kpis: 'Key figures',
      hDays: 'Conversations per day and channel',
      hContainment: 'Resolved without a person (containment)',
      explainContainment: 'Share of a day\'s conversations the assistant handled without a caseworker.',
      hReasons: 'Handoffs by reason',
      explainReasons: 'Share of all conversations handed to a person for this reason.',
      hWait: 'Wait for a caseworker (median)',
      hFeedback: 'Ratings by page',
      hRatings: 'Satisfaction with caseworkers',
      explainRatings: 'Citizens\u2019 ratings (1 to 5) after a conversation with a person, by channel.',
      noRatings: 'No ratings in the period.',
      tRatings: 'Satisfaction (person)',
      subRatings: 'average {avg} of 5 from {ratings}',
      ratings_one: '{n} rating', ratings_other: '{n} ratings',
      average: 'Average',
      satisfied: 'Satisfied (4–5)',
      channel: 'Channel',
      explainFeedback: 'Thumbs up and down for answers from each page.',
      hQuestions: 'Unanswered and uncertain questions',
      explainQuestions: 'Similar questions are grouped, most frequent first. Personal data is removed. Questions are kept for {days} days.',
      noQuestions: 'None – the assistant answered every question with confidence.',
      asTable: 'Show as table',
      csv: 'Download CSV',
      loading: 'Loading analytics …',
      loaded: 'Period {from} to {to} ({tz}), as of {time}.',
      needLogin: 'Please log in to the console first.',
      loginLink: 'Log in',
      adminOnly: 'Analytics are for administrators only.',
      off: 'Analytics are switched off (analytics.enabled).',
      unavailable: 'Analytics are unavailable right now. Please try again later.',
      invalid: 'The period does not work: {msg}',
      tConversations: 'Conversations',
      tContainment: 'Resolved without a person',
      tHandoff: 'Handed to a person',
      tWait: 'Wait (median)',
      tFeedback: 'Ratings',
      subContainment: '{conv}',
      subHandoff: '{conv}, {tickets} of them',
      subWait: 'from {claims}',
      conv_one: '{n} conversation', conv_other: '{n} conversations',
      tickets_one: '{n} callback request', tickets_other: '{n} callback requests',
      claims_one: '{n} claim', claims_other: '{n} claims',
      days_one: '{n} day', days_other: '{n} days',
      subFeedback: '{up} helpful · {down} not helpful',
      none: '–',
      date: 'Day',
      total: 'Total',
      handedOff: 'Handed off',
      containment: 'Without a person',
      reason: 'Reason',
      conversations: 'Conversations',
      rate: 'Share of all',
      share: 'Share of handoffs',
      medianWait: 'Median',
      claims: 'Claims',
      page: 'Page',
      up: 'Helpful',
      down: 'Not helpful',
      count: 'Count',
      question: 'Question (most frequent wording)',
      kind: 'Kind',
      closest: 'Closest page',
      last: 'Last asked',
      alsoAsked: 'Also: {list}',
      sumDays: '{conv} in {days}, most on {max} ({m}).',
      sumDaysNone: 'No conversations in the period.',
      sumContainment: 'Resolved without a person: {p} overall. Daily range {lo} to {hi}.',
      sumReasons: 'Handoffs by reason: {list}.',
      sumWait: 'Median wait in the period: {w}, from {claims}.',
      sumWaitNone: 'No conversations claimed by caseworkers in the period.',
      sumFeedback: 'Ratings by page: {list}.',
      noData: 'No data in the period',
      seconds: '{n} s',
      minutes: '{n} min',
      ch_web: 'Web chat', ch_telegram: 'Telegram', ch_sms: 'SMS', ch_voice: 'Phone', ch_email: 'E-mail', ch_whatsapp: 'WhatsApp',
      r_low_confidence: 'No confident answer', r_human_request: 'Asked for a person', r_button: '"Talk to a person" button',
      r_case_specific: 'Personal case', r_urgent: 'Urgent', r_prompt_injection: 'Manipulation attempt',
      r_out_of_scope: 'Not a city topic', r_no_match: 'Phone: not understood', r_unknown: 'Unknown',
      k_unanswered: 'unanswered', k_low_confidence: 'answered uncertainly', k_clarify: 'needed a follow-up question', k_out_of_scope: 'not a city topic', k_not_covered: 'page does not say'
    }
  };

  var S = { lang: 'de', rep: null, me: null };

  function $(id) { return document.getElementById(id); }

  // Shared helpers (common.js, loaded first).
  function pickLang() { return C.pickLang(LANG_KEY); }
  function t(key, vars) { return C.t(TEXT, S.lang, key, vars); }
  function label(prefix, code) { return C.label(TEXT, S.lang, prefix, code); }
  function tn(key, n, vars) { return C.tn(TEXT, S.lang, key, n, vars); }
  function el(tag, cls, text) { return C.el(tag, cls, text); }

  function svgEl(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = String(text); }
    return e;
  }

  function clear(e) { while (e.firstChild) { e.removeChild(e.firstChild); } }

  function locale() { return S.lang === 'de' ? 'de-DE' : 'en-GB'; }
  function num(n) { return new Intl.NumberFormat(locale()).format(n); }
  function pct(x) { return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(x); }

  function wait(sec) {
    if (!sec) { return t('none'); }
    if (sec < 90) { return t('seconds', { n: Math.round(sec) }); }
    return t('minutes', { n: new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(sec / 60) });
  }

  function day(iso, long) {
    var p = iso.split('-');
    var d = new Date(Date.UTC(+p[0], +p[1] - 1, +p[2]));
    var o = long ? { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' } : { day: '2-digit', month: '2-digit', timeZone: 'UTC' };
    return d.toLocaleDateString(locale(), o);
  }

  function channelClass(ch) { return CHANNELS.indexOf(ch) >= 0 ? ch : 'other'; }

  // ---- static texts ----
  function applyTexts() {
    C.pageTexts(S.lang, t);
    if (S.rep) { render(); }
  }

  function setError(text, withLogin) { C.showError(text, withLogin ? t('loginLink') : ''); }

  // ---- data ----
  function get(path) { return C.request('GET', path); }

  function load(from, to) {
    var q = [];
    if (from) { q.push('from=' + encodeURIComponent(from)); }
    if (to) { q.push('to=' + encodeURIComponent(to)); }
    $('status').textContent = t('loading');
    return get('/analytics' + (q.length ? '?' + q.join('&') : '')).then(function (res) {
      if (!res.ok) {
        $('status').textContent = '';
        var d = res.data || {};
        if (res.status === 401) { setError(t('needLogin'), true); }
        else if (d.error === 'admin_only') { setError(t('adminOnly')); }
        else if (d.error === 'analytics_off') { setError(t('off')); }
        else if (d.error === 'invalid') { setError(t('invalid', { msg: d.message || '' })); }
        else { setError(t('unavailable')); }
        return;
      }
      setError('');
      S.rep = res.data;
      $('from').value = S.rep.from;
      $('to').value = S.rep.to;
      $('report').hidden = false;
      render();
    });
  }

  function shiftDays(iso, n) {
    var p = iso.split('-');
    var d = new Date(Date.UTC(+p[0], +p[1] - 1, +p[2] + n));
    return d.toISOString().slice(0, 10);
  }

  // ---- rendering ----
  function render() {
    var r = S.rep;
    $('status').textContent = t('loaded', {
      from: day(r.from, true), to: day(r.to, true), tz: r.time_zone,
      time: new Date(r.generated).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' })
    });
    ['days', 'reasons', 'feedback', 'ratings', 'questions'].forEach(function (tb) {
      var a = $('csv-' + tb);
      a.href = API + '/analytics/export?table=' + tb + '&from=' + encodeURIComponent(r.from) + '&to=' + encodeURIComponent(r.to);
      a.setAttribute('download', 'civibot-' + tb + '-' + r.from + '-' + r.to + '.csv');
    });
    renderTiles(r);
    renderDays(r);
    renderContainment(r);
    renderReasons(r);
    renderWait(r);
    renderFeedback(r);
    renderRatings(r);
    renderQuestions(r);
  }

  function renderTiles(r) {
    var tt = r.totals;
    var tiles = $('tiles');
    clear(tiles);
    function tile(value, name, sub) {
      var d = el('div', 'tile');
      d.appendChild(el('dt', '', name));
      var dd = el('dd', '', value);
      if (sub) { dd.appendChild(el('span', 'sub', sub)); }
      d.appendChild(dd);
      tiles.appendChild(d);
    }
    tile(num(tt.conversations), t('tConversations'));
    tile(tt.conversations ? pct(tt.containment) : t('none'), t('tContainment'), t('subContainment', { conv: tn('conv', tt.contained) }));
    tile(tt.conversations ? pct(tt.handoff_rate) : t('none'), t('tHandoff'), t('subHandoff', { conv: tn('conv', tt.handed_off), tickets: tn('tickets', tt.tickets) }));
    tile(wait(tt.median_wait_seconds), t('tWait'), t('subWait', { claims: tn('claims', tt.waits) }));
    tile(num(tt.up + tt.down), t('tFeedback'), t('subFeedback', { up: num(tt.up), down: num(tt.down) }));
    tile(tt.ratings ? pct(tt.satisfied) : t('none'), t('tRatings'), tt.ratings ? t('subRatings', { avg: num(Math.round(tt.rating_average * 10) / 10), ratings: tn('ratings', tt.ratings) }) : '');
  }

  // chart makes an SVG sized to its container, labelled by a title and a
  // text summary (its accessible name and description).
  function chart(id, height, summary) {
    var box = $(id);
    clear(box);
    var w = Math.max(280, Math.floor(box.clientWidth || 600));
    var s = svgEl('svg', { viewBox: '0 0 ' + w + ' ' + height, width: w, height: height, role: 'img', 'aria-labelledby': id + '-t ' + id + '-d' });
    var heading = box.closest('section').querySelector('h2');
    s.appendChild(svgEl('title', { id: id + '-t' }, heading ? heading.textContent : ''));
    s.appendChild(svgEl('desc', { id: id + '-d' }, summary));
    box.appendChild(s);
    return { svg: s, w: w, h: height };
  }

  // niceCount is the top of an axis of counts: four equal whole steps of
  // 1, 2, 5 × 10ⁿ (never 0, 1, 1, 2, 2).
  function niceCount(v) { return 4 * niceStep(v / 4, [1, 2, 5]); }
  function niceStep(q, mult) {
    if (q <= 1) { return 1; }
    var p = Math.pow(10, Math.floor(Math.log10(q)));
    for (var k = 0; ; k++) {
      for (var i = 0; i < mult.length; i++) { if (mult[i] * p >= q) { return mult[i] * p; } }
      p *= 10;
      if (k > 20) { return q; }
    }
  }
  // niceWait is the top of a wait axis in seconds: four steps of 5, 10,
  // 15, 30 s or 1, 2, 5, 10, 15, 30, 60 … min.
  function niceWait(v) {
    var steps = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
    for (var i = 0; i < steps.length; i++) { if (4 * steps[i] >= v) { return 4 * steps[i]; } }
    return 4 * 3600 * Math.ceil(v / (4 * 3600));
  }

  // axes draws y gridlines with labels (fmt) and returns the plot area.
  function axes(c, max, fmt, left) {
    var pad = { l: left || 44, r: 12, t: 12, b: 28 };
    var ph = c.h - pad.t - pad.b;
    for (var i = 0; i <= 4; i++) {
      var v = max * i / 4;
      var y = pad.t + ph - ph * i / 4;
      c.svg.appendChild(svgEl('line', { 'class': i === 0 ? 'axis' : 'gridline', x1: pad.l, x2: c.w - pad.r, y1: y, y2: y }));
      c.svg.appendChild(svgEl('text', { x: pad.l - 6, y: y + 4, 'text-anchor': 'end' }, fmt(v)));
    }
    return { x: pad.l, y: pad.t, w: c.w - pad.l - pad.r, h: ph };
  }

  function xLabels(c, area, days, step) {
    var n = days.length;
    var every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(area.w / 52))));
    days.forEach(function (d, i) {
      if (i % every !== 0) { return; }
      c.svg.appendChild(svgEl('text', { x: area.x + step * (i + 0.5), y: area.y + area.h + 18, 'text-anchor': 'middle' }, day(d.date)));
    });
  }

  function emptyChart(c, text) {
    c.svg.appendChild(svgEl('text', { 'class': 'empty-chart', x: c.w / 2, y: c.h / 2, 'text-anchor': 'middle' }, text));
  }

  function table(id, head, rows, numeric) {
    var tb = $(id);
    clear(tb);
    var thead = el('thead');
    var tr = el('tr');
    head.forEach(function (h, i) {
      var th = el('th', numeric && numeric[i] ? 'num' : '', h);
      th.setAttribute('scope', 'col');
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    tb.appendChild(thead);
    var body = el('tbody');
    rows.forEach(function (row) {
      var r = el('tr');
      row.forEach(function (cell, i) {
        var td = el(i === 0 ? 'th' : 'td', numeric && numeric[i] ? 'num' : '');
        if (i === 0) { td.setAttribute('scope', 'row'); }
        if (cell instanceof Node) { td.appendChild(cell); } else { td.textContent = cell; }
        r.appendChild(td);
      });
      body.appendChild(r);
    });
    tb.appendChild(body);
  }

  function legend(id, keys) {
    var lg = $(id);
    clear(lg);
    keys.forEach(function (k) {
      var span = el('span', 'key');
      span.appendChild(el('span', 'swatch sw-' + k.cls));
      span.appendChild(document.createTextNode(k.text));
      lg.appendChild(span);
    });
  }

  function renderDays(r) {
    var chans = r.channels.length ? r.channels : ['web'];
    var max = 0, best = null;
    r.days.forEach(function (d) { if (d.total > max) { max = d.total; best = d; } });
    var summary = r.totals.conversations ? t('sumDays', { conv: tn('conv', r.totals.conversations), days: tn('days', r.days.length), max: day(best.date, true), m: num(best.total) }) : t('sumDaysNone');
    var c = chart('chart-days', 260, summary);
    var area = axes(c, niceCount(max), function (v) { return num(Math.round(v)); });
    var step = area.w / r.days.length;
    var bw = Math.max(2, Math.min(40, step * 0.7));
    r.days.forEach(function (d, i) {
      var y = area.y + area.h;
      var parts = [];
      chans.forEach(function (ch) {
        var v = d.conversations[ch] || 0;
        if (!v) { return; }
        var hgt = area.h * v / niceCount(max);
        y -= hgt;
        var rect = svgEl('rect', { 'class': 'fill-' + channelClass(ch), x: area.x + step * i + (step - bw) / 2, y: y, width: bw, height: hgt });
        parts.push(label('ch_', ch) + ' ' + num(v));
        rect.appendChild(svgEl('title', {}, day(d.date) + ': ' + label('ch_', ch) + ' ' + num(v)));
        c.svg.appendChild(rect);
      });
    });
    xLabels(c, area, r.days, step);
    if (!r.totals.conversations) { emptyChart(c, t('noData')); }
    legend('legend-days', chans.map(function (ch) { return { cls: channelClass(ch), text: label('ch_', ch) }; }));
    var head = [t('date')].concat(chans.map(function (ch) { return label('ch_', ch); }), [t('total'), t('handedOff'), t('containment')]);
    var numeric = head.map(function (_, i) { return i > 0; });
    table('table-days', head, r.days.map(function (d) {
      return [day(d.date, true)].concat(chans.map(function (ch) { return num(d.conversations[ch] || 0); }),
        [num(d.total), num(d.handed_off), d.total ? pct(d.containment) : t('none')]);
    }), numeric);
  }

  function renderContainment(r) {
    var vals = r.days.filter(function (d) { return d.total > 0; }).map(function (d) { return d.containment; });
    var lo = vals.length ? Math.min.apply(null, vals) : 0, hi = vals.length ? Math.max.apply(null, vals) : 0;
    var summary = vals.length ? t('sumContainment', { p: pct(r.totals.containment), lo: pct(lo), hi: pct(hi) }) : t('sumDaysNone');
    var c = chart('chart-containment', 220, summary);
    var area = axes(c, 1, function (v) { return pct(v); });
    var step = area.w / r.days.length;
    var path = '', pen = false;
    r.days.forEach(function (d, i) {
      if (!d.total) { pen = false; return; }
      var x = area.x + step * (i + 0.5), y = area.y + area.h * (1 - d.containment);
      path += (pen ? ' L ' : ' M ') + x.toFixed(1) + ' ' + y.toFixed(1);
      pen = true;
      var dot = svgEl('circle', { 'class': 'fill-primary', cx: x, cy: y, r: 3.5 });
      dot.appendChild(svgEl('title', {}, day(d.date) + ': ' + pct(d.containment) + ' (' + num(d.total) + ')'));
      c.svg.appendChild(dot);
    });
    if (path) { c.svg.insertBefore(svgEl('path', { 'class': 'line stroke-primary', d: path.trim() }), c.svg.querySelector('circle')); }
    xLabels(c, area, r.days, step);
    if (!vals.length) { emptyChart(c, t('noData')); }
    table('table-containment', [t('date'), t('total'), t('handedOff'), t('containment')], r.days.map(function (d) {
      return [day(d.date, true), num(d.total), num(d.handed_off), d.total ? pct(d.containment) : t('none')];
    }), [false, true, true, true]);
  }

  // hbars draws labelled horizontal bars: items {label, parts: [{v, cls, title}], text}.
  function hbars(id, items, summary, max) {
    var rowH = 30;
    var c = chart(id, Math.max(60, items.length * rowH + 10), summary);
    if (!items.length) { emptyChart(c, t('noData')); return; }
    var labelW = Math.min(Math.floor(c.w * 0.42), 260), valueW = 64;
    var barW = c.w - labelW - valueW - 16;
    items.forEach(function (it, i) {
      var y = 5 + i * rowH;
      var name = it.label.length > 38 ? it.label.slice(0, 36) + '…' : it.label;
      var lt = svgEl('text', { x: labelW - 8, y: y + 18, 'text-anchor': 'end' }, name);
      if (name !== it.label) { lt.appendChild(svgEl('title', {}, it.label)); }
      c.svg.appendChild(lt);
      var x = labelW;
      it.parts.forEach(function (p) {
        var w = max ? barW * p.v / max : 0;
        if (w <= 0) { return; }
        var rect = svgEl('rect', { 'class': 'fill-' + p.cls, x: x, y: y + 4, width: Math.max(1, w), height: rowH - 10, rx: 2 });
        rect.appendChild(svgEl('title', {}, p.title));
        c.svg.appendChild(rect);
        x += w;
      });
      c.svg.appendChild(svgEl('text', { 'class': 'value', x: x + 6, y: y + 18 }, it.text));
    });
  }

  function renderReasons(r) {
    var items = r.reasons.map(function (x) {
      var name = label('r_', x.reason);
      return { label: name, parts: [{ v: x.rate, cls: 'primary', title: name + ': ' + pct(x.rate) + ' (' + num(x.conversations) + ')' }], text: pct(x.rate) };
    });
    var summary = r.reasons.length ? t('sumReasons', { list: r.reasons.map(function (x) { return label('r_', x.reason) + ' ' + pct(x.rate); }).join(', ') }) : t('sumDaysNone');
    var max = 0;
    r.reasons.forEach(function (x) { max = Math.max(max, x.rate); });
    hbars('chart-reasons', items, summary, max);
    table('table-reasons', [t('reason'), t('conversations'), t('rate'), t('share')], r.reasons.map(function (x) {
      return [label('r_', x.reason), num(x.conversations), pct(x.rate), pct(x.share)];
    }), [false, true, true, true]);
  }

  function renderWait(r) {
    var withWaits = r.days.filter(function (d) { return d.waits > 0; });
    var summary = r.totals.waits ? t('sumWait', { w: wait(r.totals.median_wait_seconds), claims: tn('claims', r.totals.waits) }) : t('sumWaitNone');
    var c = chart('chart-wait', 220, summary);
    var max = 0;
    withWaits.forEach(function (d) { max = Math.max(max, d.median_wait_seconds); });
    var top = niceWait(max);
    var inMin = top >= 240;
    var area = axes(c, top, function (v) { return inMin ? t('minutes', { n: num(Math.round(v / 6) / 10) }) : t('seconds', { n: num(Math.round(v)) }); }, 56);
    var step = area.w / r.days.length;
    var bw = Math.max(2, Math.min(40, step * 0.7));
    r.days.forEach(function (d, i) {
      if (!d.waits) { return; }
      var hgt = area.h * d.median_wait_seconds / top;
      var rect = svgEl('rect', { 'class': 'fill-primary', x: area.x + step * i + (step - bw) / 2, y: area.y + area.h - hgt, width: bw, height: Math.max(1, hgt) });
      rect.appendChild(svgEl('title', {}, day(d.date) + ': ' + wait(d.median_wait_seconds) + ' (' + num(d.waits) + ')'));
      c.svg.appendChild(rect);
    });
    xLabels(c, area, r.days, step);
    if (!withWaits.length) { emptyChart(c, t('noData')); }
    table('table-wait', [t('date'), t('medianWait'), t('claims')], withWaits.map(function (d) {
      return [day(d.date, true), wait(d.median_wait_seconds), num(d.waits)];
    }), [false, true, true]);
  }

  function renderRatings(r) {
    var rows = r.ratings || [];
    $('ratings-none').hidden = rows.length > 0;
    table('table-ratings', [t('channel'), t('count'), t('average'), t('satisfied')], rows.map(function (x) {
      return [label('ch_', x.channel), num(x.ratings), num(Math.round(x.average * 10) / 10), pct(x.satisfied)];
    }), [false, true, true, true]);
  }

  function renderFeedback(r) {
    var top = r.feedback.slice(0, 10);
    var max = 0;
    top.forEach(function (f) { max = Math.max(max, f.up + f.down); });
    var items = top.map(function (f) {
      return {
        label: f.title || f.page_id,
        parts: [{ v: f.up, cls: 'up', title: (f.title || f.page_id) + ': ' + t('up') + ' ' + num(f.up) },
          { v: f.down, cls: 'down', title: (f.title || f.page_id) + ': ' + t('down') + ' ' + num(f.down) }],
        text: '▲' + num(f.up) + ' ▼' + num(f.down)
      };
    });
    var summary = top.length ? t('sumFeedback', { list: top.map(function (f) { return (f.title || f.page_id) + ' ' + num(f.up) + '/' + num(f.down); }).join(', ') }) : t('noData');
    hbars('chart-feedback', items, summary, max);
    legend('legend-feedback', [{ cls: 'up', text: t('up') }, { cls: 'down', text: t('down') }]);
    table('table-feedback', [t('page'), t('up'), t('down')], r.feedback.map(function (f) {
      return [f.title || f.page_id, num(f.up), num(f.down)];
    }), [false, true, true]);
  }

  function renderQuestions(r) {
    $('explain-questions').textContent = t('explainQuestions', { days: r.question_days });
    var qs = r.questions || [];
    $('none-questions').hidden = qs.length > 0;
    $('table-questions').hidden = qs.length === 0;
    table('table-questions', [t('count'), t('question'), t('kind'), t('closest'), t('last')], qs.map(function (g) {
      var q = el('div');
      q.appendChild(el('div', 'example', g.example));
      if (g.variants && g.variants.length) { q.appendChild(el('div', 'variants', t('alsoAsked', { list: g.variants.join(' · ') }))); }
      var kinds = el('div');
      Object.keys(g.kinds || {}).sort().forEach(function (k) {
        kinds.appendChild(el('span', 'kind kind-' + k, label('k_', k) + ' ' + num(g.kinds[k])));
      });
      var last = new Date(g.last);
      return [num(g.count), q, kinds, g.page_title || t('none'), isNaN(last) ? '' : last.toLocaleDateString(locale())];
    }), [true, false, false, false, false]);
  }

  // ---- start ----
  function start() {
    S.lang = pickLang();
    applyTexts();
    $('lang').addEventListener('change', function () {
      S.lang = $('lang').value;
      try { localStorage.setItem(LANG_KEY, S.lang); } catch (e) { /* storage off */ }
      applyTexts();
    });
    $('range').addEventListener('submit', function (ev) {
      ev.preventDefault();
      load($('from').value, $('to').value);
    });
    var presets = document.querySelectorAll('[data-days]');
    for (var i = 0; i < presets.length; i++) {
      presets[i].addEventListener('click', function (ev) {
        var n = +ev.currentTarget.getAttribute('data-days');
        var to = (S.rep && S.rep.to) || $('to').value || new Date().toISOString().slice(0, 10);
        load(shiftDays(to, -(n - 1)), to);
      });
    }
    var resize = 0;
    window.addEventListener('resize', function () {
      clearTimeout(resize);
      resize = setTimeout(function () { if (S.rep) { render(); } }, 150);
    });
    get('/me').then(function (res) {
      if (res.status === 401 || !res.ok) { setError(t('needLogin'), true); return; }
      S.me = res.data;
      if (S.me.user.role !== 'admin') { setError(t('adminOnly')); return; }
      load('', '');
    });
  }

  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
})();
