/*
 * civibot: review of what caseworkers taught the bot (administrators).
 * Plain JavaScript, no build step. Suggestions come from
 * GET /console/api/aliases; accept (with the edited text), reject and
 * remove are POST/DELETE with the session's CSRF token. Everything from
 * the server is put into the page with textContent, never parsed as HTML.
 */
(function () {
  'use strict';
  var C = window.civibotCommon; // common.js

  var LANG_KEY = 'civibot-console-lang';

  var TEXT = {
    de: {
      docTitle: 'civibot – Gelernte Fragen',
      skip: 'Zum Inhalt springen',
      heading: 'Gelernte Fragen',
      back: 'Zur Konsole',
      language: 'Sprache',
      title: 'Was die Sachbearbeitung dem Bot beibringt',
      lead: 'Fragen, die Mitarbeiterinnen und Mitarbeiter mit einer Seite der Stadt beantwortet haben – ohne persönliche Daten. Angenommene Fragen findet der Bot künftig selbst.',
      pending: 'Vorschläge',
      pendingHint: 'Prüfen Sie den Text: Er soll die Frage so wiedergeben, wie Bürgerinnen und Bürger sie stellen, ohne Namen, Adressen oder Aktenzeichen.',
      nonePending: 'Keine offenen Vorschläge.',
      accepted: 'Angenommen',
      noneAccepted: 'Noch keine angenommenen Fragen.',
      export: 'Als Datei exportieren (JSONL)',
      question: 'Frage',
      page: 'Seite',
      count: 'Anzahl',
      by: 'Von',
      reviewedBy: 'Geprüft von',
      actions: 'Aktionen',
      textLabel: 'Text der Frage für „{page}“',
      accept: 'Annehmen',
      reject: 'Ablehnen',
      remove: 'Entfernen',
      lang_de: 'Deutsch', lang_en: 'Englisch',
      acceptedNow: 'Angenommen: „{text}“. Der Bot findet die Seite damit innerhalb weniger Sekunden.',
      rejectedNow: 'Abgelehnt. Diese Frage wird nicht noch einmal vorgeschlagen.',
      removedNow: 'Entfernt.',
      loading: 'Lade …',
      loaded: '{pending} offen, {accepted} angenommen.',
      needLogin: 'Bitte melden Sie sich zuerst in der Konsole an.',
      loginLink: 'Zur Anmeldung',
      adminOnly: 'Diese Seite ist nur für die Administration.',
      off: 'Das Lernen aus der Sachbearbeitung ist auf diesem Server nicht eingerichtet.',
      unavailable: 'Gerade nicht erreichbar. Bitte später erneut versuchen.',
      gone: 'Diesen Vorschlag gibt es nicht mehr (jemand anderes hat ihn bearbeitet).',
      invalid: 'Der Text passt nicht: {msg}'
    },
    en: {
      docTitle: 'civibot – Learnt questions',
      skip: 'Skip to content',
      heading: 'Learnt questions',
      back: 'Back to the console',
      language: 'Language',
      title: 'What caseworkers teach the bot',
      lead: 'Questions that caseworkers answered with one of the city\'s pages – without personal data. The bot finds the page itself for accepted ones.',
      pending: 'Suggestions',
      pendingHint: 'Check the text: it should read like a citizen\'s question, without names, addresses or file numbers.',
      nonePending: 'No open suggestions.',
      accepted: 'Accepted',
      noneAccepted: 'No accepted questions yet.',
      export: 'Export as a file (JSONL)',
      question: 'Question',
      page: 'Page',
      count: 'Count',
      by: 'From',
      reviewedBy: 'Reviewed by',
      actions: 'Actions',
      textLabel: 'Text of the question for “{page}”',
      accept: 'Accept',
      reject: 'Reject',
      remove: 'Remove',
      lang_de: 'German', lang_en: 'English',
      acceptedNow: 'Accepted: “{text}”. The bot finds the page with it within seconds.',
      rejectedNow: 'Rejected. This question will not be suggested again.',
      removedNow: 'Removed.',
      loading: 'Loading …',
      loaded: '{pending} open, {accepted} accepted.',
      needLogin: 'Please log in to the console first.',
      loginLink: 'Log in',
      adminOnly: 'This page is for administrators only.',
      off: 'Learning from caseworkers is not set up on this server.',
      unavailable: 'Not reachable right now. Please try again later.',
      gone: 'This suggestion no longer exists (someone else dealt with it).',
      invalid: 'The text does not fit: {msg}'
    }
  };

  var S = { lang: 'de', me: null, list: null };
  function $(id) { return document.getElementById(id); }
  function t(key, vars) { return C.t(TEXT, S.lang, key, vars); }
  var el = C.el;
  function clear(n) { while (n.firstChild) { n.removeChild(n.firstChild); } }

  function applyTexts() {
    C.pageTexts(S.lang, t);
    if (S.list) { render(); }
  }

  function setError(text, withLogin) { C.showError(text, withLogin ? t('loginLink') : ''); }

  function call(method, path, body) { return C.request(method, path, body, S.me && S.me.csrf); }

  function failure(res) {
    var d = res.data || {};
    if (res.status === 401) { setError(t('needLogin'), true); return; }
    switch (d.error) {
      case 'admin_only': setError(t('adminOnly')); return;
      case 'learning_off': setError(t('off')); return;
      case 'not_found': setError(t('gone')); load(true); return;
      case 'invalid': setError(t('invalid', { msg: d.message || '' })); return;
    }
    setError(t('unavailable'));
  }

  // load fetches the list; keep leaves the status line (what was just done).
  function load(keep) {
    if (!keep) { $('status').textContent = t('loading'); }
    return call('GET', '/aliases').then(function (res) {
      if (!res.ok) { $('status').textContent = ''; failure(res); return; }
      S.list = res.data.suggestions || [];
      render();
      if (!keep) { $('status').textContent = t('loaded', { pending: count('pending'), accepted: count('accepted') }); }
    });
  }

  function pageLink(s) {
    var title = s.page_title || s.page_id;
    if (!/^https?:\/\//i.test(s.page_url || '')) { return el('span', '', title); }
    var a = el('a', '', title);
    a.href = s.page_url;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    return a;
  }

  function button(label, cls, onClick) {
    var b = el('button', 'btn ' + cls, label);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }

  function act(method, path, body, done) {
    setError('');
    return call(method, path, body).then(function (res) {
      if (!res.ok) { failure(res); return; }
      $('status').textContent = done(res.data);
      load(true);
    });
  }

  function render() {
    var pending = S.list.filter(function (s) { return s.status === 'pending'; });
    var accepted = S.list.filter(function (s) { return s.status === 'accepted'; });
    $('n-pending').textContent = String(pending.length);
    $('n-accepted').textContent = String(accepted.length);
    $('none-pending').hidden = pending.length > 0;
    $('table-pending').hidden = pending.length === 0;
    $('none-accepted').hidden = accepted.length > 0;
    $('table-accepted').hidden = accepted.length === 0;
    $('export').hidden = accepted.length === 0;

    var body = $('table-pending').querySelector('tbody');
    clear(body);
    pending.forEach(function (s) {
      var tr = el('tr');
      tr.setAttribute('data-id', s.id);
      var q = el('td');
      var input = el('input', 'alias-text');
      input.type = 'text';
      input.value = C.plain(s.text);
      input.maxLength = 300;
      input.id = 'text-' + s.id;
      input.setAttribute('aria-label', t('textLabel', { page: s.page_title || s.page_id }));
      q.appendChild(input);
      if (s.language) { q.appendChild(el('span', 'hint', ' ' + (TEXT[S.lang]['lang_' + s.language] || s.language))); }
      tr.appendChild(q);
      var pg = el('td');
      pg.appendChild(pageLink(s));
      tr.appendChild(pg);
      tr.appendChild(el('td', 'num', String(s.count || 1)));
      var when = new Date(s.suggested);
      tr.appendChild(el('td', '', (s.caseworker || '') + (isNaN(when) ? '' : ' · ' + when.toLocaleDateString(S.lang === 'de' ? 'de-DE' : 'en-GB'))));
      var acts = el('td', 'acts');
      acts.appendChild(button(t('accept'), 'accept', function () {
        var text = input.value.trim();
        act('POST', '/aliases/' + encodeURIComponent(s.id) + '/accept', { text: text }, function (d) {
          return t('acceptedNow', { text: C.plain(d.suggestion.text) });
        });
      }));
      acts.appendChild(button(t('reject'), 'secondary reject', function () {
        act('POST', '/aliases/' + encodeURIComponent(s.id) + '/reject', {}, function () { return t('rejectedNow'); });
      }));
      tr.appendChild(acts);
      body.appendChild(tr);
    });

    body = $('table-accepted').querySelector('tbody');
    clear(body);
    accepted.forEach(function (s) {
      var tr = el('tr');
      tr.setAttribute('data-id', s.id);
      tr.appendChild(el('td', 'alias-accepted', C.plain(s.text)));
      var pg = el('td');
      pg.appendChild(pageLink(s));
      tr.appendChild(pg);
      tr.appendChild(el('td', '', s.reviewed_by || ''));
      var acts = el('td', 'acts');
      acts.appendChild(button(t('remove'), 'secondary remove', function () {
        act('DELETE', '/aliases/' + encodeURIComponent(s.id), {}, function () { return t('removedNow'); });
      }));
      tr.appendChild(acts);
      body.appendChild(tr);
    });
  }

  function count(status) { return S.list.filter(function (s) { return s.status === status; }).length; }

  function start() {
    S.lang = C.pickLang(LANG_KEY);
    applyTexts();
    $('lang').addEventListener('change', function () {
      S.lang = $('lang').value;
      try { localStorage.setItem(LANG_KEY, S.lang); } catch (e) { /* storage off */ }
      applyTexts();
    });
    call('GET', '/me').then(function (res) {
      if (res.status === 401 || !res.ok) { setError(t('needLogin'), true); return; }
      S.me = res.data;
      if (S.me.user.role !== 'admin') { setError(t('adminOnly')); return; }
      load();
    });
  }

  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
})();
