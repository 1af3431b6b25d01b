/*
 * civibot chat widget. One line on any page opens a chat bubble:
 *
 *   <script src="https://chat.city.example/widget.js" data-lang="de" defer></script>
 *
 * Attributes: data-lang ("de" or "en"; default: the page's lang, then the
 * browser's), data-mode ("bubble", the default, or "page": a full-page chat).
 *
 * Plain JavaScript, no build step. The UI lives in a shadow root so the host
 * page's styles do not leak in. Message text is never parsed as HTML: it is
 * set with textContent, and links are built with createElement from http(s)
 * URLs only. Protocol: docs/webchat-protocol.md (version 1).
 */
(function () {
  'use strict';

  var PROTOCOL = 1;
  var script = document.currentScript;
  if (!script || !script.src) { return; }
  var base = new URL(script.src, location.href);
  var ORIGIN = base.origin;
  var MODE = script.getAttribute('data-mode') === 'page' ? 'page' : 'bubble';
  var STORE_KEY = 'civibot:' + ORIGIN;
  if (document.getElementById('civibot-widget')) { return; } // loaded twice

  var TEXT = {
    de: {
      bubble: 'Chat',
      open: 'Chat mit {city} öffnen',
      openUnread: 'Chat mit {city} öffnen (neue Nachricht)',
      title: 'Chat mit {city}',
      subtitle: 'Digitaler Assistent (KI)',
      close: 'Chat schließen',
      noticeTitle: 'Bevor Sie beginnen',
      notice: 'Sie schreiben mit einem KI-Assistenten der Stadt {city}. Er antwortet mit Informationen von den Seiten der Stadt und kann sich irren. Bitte geben Sie keine persönlichen Daten wie Namen, Adressen oder Ausweisnummern ein. Sie können jederzeit mit einem Menschen sprechen.',
      privacy: 'Datenschutzhinweise',
      noticeOk: 'Verstanden',
      log: 'Chatverlauf',
      inputLabel: 'Ihre Frage',
      placeholder: 'Ihre Frage …',
      send: 'Senden',
      person: 'Mit einem Menschen sprechen',
      forget: 'Chat beenden',
      forgetConfirm: 'Chat beenden? Der Verlauf wird gelöscht, auf diesem Gerät und bei der Stadt.',
      forgotten: 'Ihr Chat wurde beendet und gelöscht.',
      lost: 'Ihr bisheriger Chat ist nicht mehr vorhanden, weil der Dienst neu gestartet wurde. Sie können hier neu beginnen.',
      claimedNamed: '{name} ist jetzt für Sie da.',
      you: 'Sie',
      bot: 'KI-Assistent',
      staff: 'Mitarbeiterin oder Mitarbeiter der Stadt',
      staffNamed: '{name}, Mitarbeiterin oder Mitarbeiter der Stadt',
      system: 'Hinweis',
      source: 'Quelle:',
      sources: 'Quellen:',
      suggestions: 'Antwortvorschläge',
      helpful: 'Hilfreich',
      unhelpful: 'Nicht hilfreich',
      thanks: 'Danke für Ihre Rückmeldung.',
      newMessage: 'Neue Nachricht \u2193',
      rateLegend: 'Wie zufrieden waren Sie mit dem Gespräch mit {name}?',
      rateStaff: 'der Mitarbeiterin oder dem Mitarbeiter',
      rateValue: '{n} von 5',
      rateLow: 'gar nicht zufrieden',
      rateHigh: 'sehr zufrieden',
      rateComment: 'Möchten Sie noch etwas sagen? (freiwillig, bitte ohne persönliche Daten)',
      rateSend: 'Bewertung senden',
      rateChoose: 'Bitte wählen Sie 1 bis 5.',
      rateThanks: 'Danke für Ihre Bewertung.',
      startTitle: 'Guten Tag!',
      startText: 'Ich beantworte Fragen zu den Leistungen der Stadt {city}. Schreiben Sie Ihre Frage unten in das Feld oder wählen Sie ein Thema:',
      starters: 'Häufige Fragen',
      typing: 'Der Assistent schreibt …',
      typingStaff: 'Die Mitarbeiterin oder der Mitarbeiter schreibt …',
      typingNamed: '{name} schreibt …',
      sending: 'wird gesendet …',
      retrying: 'noch nicht gesendet – wird wiederholt',
      connecting: 'Verbindung wird hergestellt …',
      reconnecting: 'Verbindung unterbrochen.',
      retryIn: 'Neuer Versuch in {s} Sekunden …',
      reconnectNow: 'Jetzt verbinden',
      waiting: 'Sie warten auf eine Mitarbeiterin oder einen Mitarbeiter – Position {n}',
      waitingNoPos: 'Sie warten auf eine Mitarbeiterin oder einen Mitarbeiter',
      waitMinutes: ' (etwa {m} Minuten)',
      waitMinute: ' (etwa 1 Minute)',
      claimed: 'Eine Mitarbeiterin oder ein Mitarbeiter ist jetzt für Sie da.',
      ticket: 'Im Moment ist niemand erreichbar. Ihre Anfrage ist gespeichert, wir melden uns.',
      errRate: 'Sie schreiben sehr schnell. Bitte warten Sie einen Moment.',
      errQuota: 'Über diese Verbindung kam heute schon sehr viel Text an; diese Nachricht wurde nicht angenommen. Bitte versuchen Sie es morgen wieder oder wenden Sie sich telefonisch an die Stadt.',
      errTooLong: 'Ihre Nachricht ist zu lang. Bitte kürzen Sie sie.',
      errEmpty: 'Bitte geben Sie eine Frage ein.',
      errUnavailable: 'Der Dienst ist gerade gestört. Ihre Nachricht wird automatisch erneut gesendet.',
      errInternal: 'Etwas ist schiefgegangen. Bitte versuchen Sie es noch einmal.'
    },
    en: {
      bubble: 'Chat',
      open: 'Open chat with {city}',
      openUnread: 'Open chat with {city} (new message)',
      title: 'Chat with {city}',
      subtitle: 'Digital assistant (AI)',
      close: 'Close chat',
      noticeTitle: 'Before you start',
      notice: 'You are writing with an AI assistant of the City of {city}. It answers with information from the city\u2019s pages and can make mistakes. Please do not enter personal data such as names, addresses or ID numbers. You can talk to a person at any time.',
      privacy: 'Privacy notice',
      noticeOk: 'Got it',
      log: 'Chat messages',
      inputLabel: 'Your question',
      placeholder: 'Your question …',
      send: 'Send',
      person: 'Talk to a person',
      forget: 'End chat',
      forgetConfirm: 'End this chat? Its messages are deleted, on this device and at the city.',
      forgotten: 'Your chat has ended and was deleted.',
      lost: 'Your earlier chat is no longer available because the service was restarted. You can start again here.',
      claimedNamed: '{name} is with you now.',
      you: 'You',
      bot: 'AI assistant',
      staff: 'City staff member',
      staffNamed: '{name}, city staff member',
      system: 'Notice',
      source: 'Source:',
      sources: 'Sources:',
      suggestions: 'Suggested replies',
      helpful: 'Helpful',
      unhelpful: 'Not helpful',
      thanks: 'Thank you for your feedback.',
      newMessage: 'New message \u2193',
      rateLegend: 'How satisfied were you with the conversation with {name}?',
      rateStaff: 'the caseworker',
      rateValue: '{n} of 5',
      rateLow: 'not at all satisfied',
      rateHigh: 'very satisfied',
      rateComment: 'Anything you would like to add? (optional, please no personal data)',
      rateSend: 'Send rating',
      rateChoose: 'Please choose 1 to 5.',
      rateThanks: 'Thank you for your rating.',
      startTitle: 'Hello!',
      startText: 'I answer questions about the services of the City of {city}. Type your question in the box below or choose a topic:',
      starters: 'Frequent questions',
      typing: 'The assistant is typing …',
      typingStaff: 'The caseworker is typing …',
      typingNamed: '{name} is typing …',
      sending: 'sending …',
      retrying: 'not sent yet – retrying',
      connecting: 'Connecting …',
      reconnecting: 'Connection lost.',
      retryIn: 'Retrying in {s} seconds …',
      reconnectNow: 'Reconnect now',
      waiting: 'You are waiting for a caseworker – position {n}',
      waitingNoPos: 'You are waiting for a caseworker',
      waitMinutes: ' (about {m} minutes)',
      waitMinute: ' (about 1 minute)',
      claimed: 'A caseworker is with you now.',
      ticket: 'Nobody is available right now. Your request is saved and we will get back to you.',
      errRate: 'You are writing very fast. Please wait a moment.',
      errQuota: 'A great deal of text has already arrived over this connection today; this message was not accepted. Please try again tomorrow or contact the city by phone.',
      errTooLong: 'Your message is too long. Please shorten it.',
      errEmpty: 'Please enter a question.',
      errUnavailable: 'The service is disrupted right now. Your message will be sent again automatically.',
      errInternal: 'Something went wrong. Please try again.'
    }
  };

  function pickLang() {
    var cands = [script.getAttribute('data-lang')];
    if (MODE === 'page') {
      cands.push(new URLSearchParams(location.search).get('lang'));
      cands = cands.concat(navigator.languages || []);
    }
    cands.push(document.documentElement.getAttribute('lang'), navigator.language);
    for (var i = 0; i < cands.length; i++) {
      var l = (cands[i] || '').toLowerCase().slice(0, 2);
      if (l === 'de' || l === 'en') { return l; }
    }
    return 'de';
  }
  var LANG = pickLang();
  var T = TEXT[LANG];
  if (MODE === 'page') { document.documentElement.lang = LANG; }
  var city = 'Musterstadt';
  // tl is t in another language (a message's own: a German page's widget
  // labels an English answer in English).
  function tl(lang, key, vars) {
    var saved = T;
    T = TEXT[lang] || saved;
    try { return t(key, vars); } finally { T = saved; }
  }
  function t(key, vars) {
    var s = T[key];
    vars = vars || {};
    if (!('city' in vars)) { vars.city = city; }
    return s.replace(/\{(\w+)\}/g, function (_, k) { return k in vars ? String(vars[k]) : ''; });
  }

  // ---- storage (localStorage may be blocked: fall back to memory) ----
  var memStore = {};
  function load() {
    try { return JSON.parse(localStorage.getItem(STORE_KEY) || '{}') || {}; } catch (e) { return memStore; }
  }
  function save(s) {
    memStore = s;
    try { localStorage.setItem(STORE_KEY, JSON.stringify(s)); } catch (e) { /* memory only */ }
  }
  var state = load();

  // A chat left alone for chatExpiry (city.chat_expiry, default 4 hours)
  // is forgotten on this device, so the next person at a shared or library
  // computer does not see it (issue 21.9). The conversation itself stays
  // on the server for its retention time.
  var chatExpiry = 4 * 3600 * 1000;
  function touch() { state.at = Date.now(); save(state); }
  function expired() {
    return !!state.token && !(Date.now() - (state.at || 0) < chatExpiry);
  }

  // ---- DOM helpers: text only, never HTML ----
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text != null) { e.textContent = text; }
    return e;
  }
  function safeURL(u) {
    try {
      var p = new URL(u, ORIGIN);
      return (p.protocol === 'https:' || p.protocol === 'http:') ? p.href : null;
    } catch (e) { return null; }
  }
  function link(href, text) {
    var a = el('a', null, text);
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    return a;
  }
  // appendText adds text, turning http(s) URLs into links. Control
  // characters show as U+FFFD and bidi overrides are dropped (issue 21.11).
  function appendText(parent, text) {
    text = String(text).replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '\uFFFD').replace(/[\u202A-\u202E\u2066-\u2069]/g, '');
    var re = /https?:\/\/[^\s<>"')\]]+[^\s<>"')\].,;:!?]/g;
    var last = 0, m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) { parent.appendChild(document.createTextNode(text.slice(last, m.index))); }
      var href = safeURL(m[0]);
      parent.appendChild(href ? link(href, m[0]) : document.createTextNode(m[0]));
      last = m.index + m[0].length;
    }
    if (last < text.length) { parent.appendChild(document.createTextNode(text.slice(last))); }
  }
  function randomID() {
    var b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return 'c' + Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }
  function svg(path) {
    var ns = 'http://www.w3.org/2000/svg';
    var s = document.createElementNS(ns, 'svg');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('focusable', 'false');
    var p = document.createElementNS(ns, 'path');
    p.setAttribute('d', path);
    s.appendChild(p);
    return s;
  }
  var ICON_CHAT = 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z';
  var ICON_PERSON = 'M12 12a5 5 0 1 0 0-10 5 5 0 0 0 0 10zm0 2c-4.4 0-9 2.2-9 5v3h18v-3c0-2.8-4.6-5-9-5z';
  var ICON_CLOSE = 'M6 6l12 12M18 6L6 18';
  var ICON_UP = 'M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6V3a1.5 1.5 0 0 0-.4-1L13 1 7.6 6.6A2 2 0 0 0 7 8v11a2 2 0 0 0 2 2h9a2 2 0 0 0 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z';
  var ICON_DOWN = 'M22 3h-4v12h4V3zM2 14a2 2 0 0 0 2 2h6.3l-1 4.6v.4c0 .4.2.8.4 1.1L11 23l5.4-5.6A2 2 0 0 0 17 16V5a2 2 0 0 0-2-2H6a2 2 0 0 0-1.8 1.2l-3 7.1c-.1.2-.2.5-.2.7v2z';

  // ---- build the UI ----
  var host = el('div');
  host.id = 'civibot-widget';
  host.setAttribute('data-mode', MODE);
  var root = host.attachShadow({ mode: 'open' });
  var css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = ORIGIN + '/widget.css';
  root.appendChild(css);

  var wrap = el('div', 'cb cb-mode-' + MODE);
  wrap.setAttribute('lang', LANG);
  wrap.hidden = true; // shown once the stylesheet has loaded
  root.appendChild(wrap);

  var bubble = null;
  if (MODE === 'bubble') {
    bubble = el('button', 'cb-bubble');
    bubble.type = 'button';
    bubble.setAttribute('aria-expanded', 'false');
    bubble.setAttribute('aria-controls', 'cb-panel');
    bubble.appendChild(svg(ICON_CHAT));
    bubble.appendChild(el('span', 'cb-bubble-label', t('bubble')));
    bubble.appendChild(el('span', 'cb-dot'));
    wrap.appendChild(bubble);
  }

  var panel = el('section', 'cb-panel');
  panel.id = 'cb-panel';
  panel.setAttribute('aria-labelledby', 'cb-title');
  if (MODE === 'bubble') { panel.setAttribute('role', 'dialog'); panel.hidden = true; }
  wrap.appendChild(panel);

  var header = el('header', 'cb-header');
  var logo = el('img', 'cb-logo');
  logo.alt = '';
  logo.hidden = true;
  var titles = el('div', 'cb-titles');
  var title = el(MODE === 'page' ? 'h1' : 'h2', 'cb-title');
  title.id = 'cb-title';
  var subtitle = el('p', 'cb-subtitle', t('subtitle'));
  titles.appendChild(title);
  titles.appendChild(subtitle);
  header.appendChild(logo);
  header.appendChild(titles);
  var closeBtn = null;
  if (MODE === 'bubble') {
    closeBtn = el('button', 'cb-close');
    closeBtn.type = 'button';
    closeBtn.setAttribute('aria-label', t('close'));
    closeBtn.appendChild(svg(ICON_CLOSE));
    header.appendChild(closeBtn);
  }
  panel.appendChild(header);

  var banner = el('div', 'cb-banner');
  banner.setAttribute('role', 'status');
  var bannerText = el('span', 'cb-banner-text');
  // The countdown changes every second: shown, but not read out each time.
  var bannerCount = el('span', 'cb-banner-count');
  bannerCount.setAttribute('aria-hidden', 'true');
  var reconnectBtn = el('button', 'cb-link-button', t('reconnectNow'));
  reconnectBtn.type = 'button';
  reconnectBtn.hidden = true;
  banner.appendChild(bannerText);
  banner.appendChild(bannerCount);
  banner.appendChild(reconnectBtn);
  banner.hidden = true;
  panel.appendChild(banner);

  var handoff = el('div', 'cb-handoff');
  handoff.setAttribute('role', 'status');
  handoff.hidden = true;
  panel.appendChild(handoff);

  var notice = el('div', 'cb-notice');
  notice.setAttribute('role', 'note');
  notice.setAttribute('aria-labelledby', 'cb-notice-title');
  var noticeTitle = el('h3', 'cb-notice-title', t('noticeTitle'));
  noticeTitle.id = 'cb-notice-title';
  var noticeText = el('p', null, '');
  var noticeActions = el('p', 'cb-notice-actions');
  var privacyLink = link('#', t('privacy'));
  privacyLink.hidden = true;
  var noticeOk = el('button', 'cb-button', t('noticeOk'));
  noticeOk.type = 'button';
  noticeActions.appendChild(privacyLink);
  noticeActions.appendChild(noticeOk);
  notice.appendChild(noticeTitle);
  notice.appendChild(noticeText);
  notice.appendChild(noticeActions);
  notice.hidden = !!state.noticeSeen;
  panel.appendChild(notice);

  // The start screen: a greeting and the city's starter questions, shown
  // while the chat is empty.
  var start = el('div', 'cb-start');
  start.setAttribute('aria-labelledby', 'cb-start-title');
  start.setAttribute('role', 'group');
  var startTitle = el('h3', 'cb-start-title', t('startTitle'));
  startTitle.id = 'cb-start-title';
  var startText = el('p', 'cb-start-text', '');
  var startList = el('ul', 'cb-starters');
  startList.setAttribute('aria-label', t('starters'));
  start.appendChild(startTitle);
  start.appendChild(startText);
  start.appendChild(startList);
  start.hidden = true;
  start.setAttribute('data-seq', '0'); // before every message
  var starters = [];

  var log = el('div', 'cb-log');
  log.setAttribute('role', 'log');
  log.setAttribute('aria-live', 'polite');
  log.setAttribute('aria-label', t('log'));
  log.tabIndex = 0;
  log.appendChild(start);
  panel.appendChild(log);

  // Shown when a message arrives while the reader has scrolled up.
  var newHint = el('button', 'cb-new', t('newMessage'));
  newHint.type = 'button';
  newHint.hidden = true;
  panel.appendChild(newHint);

  var typing = el('div', 'cb-typing');
  typing.setAttribute('role', 'status');
  var typingText = el('span', 'cb-typing-text');
  typing.appendChild(el('span', 'cb-typing-dots'));
  typing.appendChild(typingText);
  typing.hidden = true;
  panel.appendChild(typing);

  var form = el('form', 'cb-form');
  form.noValidate = true;
  var inputLabel = el('label', 'cb-sr', t('inputLabel'));
  inputLabel.htmlFor = 'cb-input';
  var input = el('textarea', 'cb-input');
  input.id = 'cb-input';
  input.rows = 1;
  input.maxLength = 2000;
  input.placeholder = t('placeholder');
  input.setAttribute('autocomplete', 'off');
  var sendBtn = el('button', 'cb-send cb-button', t('send'));
  sendBtn.type = 'submit';
  form.appendChild(inputLabel);
  form.appendChild(input);
  form.appendChild(sendBtn);
  panel.appendChild(form);

  var actions = el('div', 'cb-actions');
  var personBtn = el('button', 'cb-action', t('person'));
  personBtn.type = 'button';
  var forgetBtn = el('button', 'cb-action', t('forget'));
  forgetBtn.type = 'button';
  var privacyAction = link('#', t('privacy'));
  privacyAction.className = 'cb-action cb-privacy';
  privacyAction.hidden = true;
  actions.appendChild(personBtn);
  actions.appendChild(privacyAction);
  actions.appendChild(forgetBtn);
  panel.appendChild(actions);

  function applyBranding(cfg) {
    if (cfg.name) { city = String(cfg.name); }
    title.textContent = t('title');
    noticeText.textContent = t('notice');
    if (bubble) { bubble.setAttribute('aria-label', t('open')); }
    var hex = /^#[0-9a-fA-F]{6}$/;
    if (hex.test(cfg.primary_color || '')) { host.style.setProperty('--cb-primary', cfg.primary_color); }
    if (hex.test(cfg.on_primary_color || '')) { host.style.setProperty('--cb-on-primary', cfg.on_primary_color); }
    var logoURL = cfg.logo_url && safeURL(cfg.logo_url);
    if (logoURL) { logo.src = logoURL; logo.hidden = false; }
    var privacyURL = cfg.privacy_url && safeURL(cfg.privacy_url);
    if (privacyURL) {
      privacyLink.href = privacyURL; privacyLink.hidden = false;
      privacyAction.href = privacyURL; privacyAction.hidden = false;
    }
    startText.textContent = t('startText');
    if (cfg.starters && Array.isArray(cfg.starters[LANG])) {
      starters = cfg.starters[LANG].filter(function (q) { return typeof q === 'string' && q.trim(); }).slice(0, 6);
      renderStart();
    }
    if (typeof cfg.socket === 'string' && cfg.socket.charAt(0) === '/') { socketPath = cfg.socket; }
    if (typeof cfg.chat_expiry_seconds === 'number' && cfg.chat_expiry_seconds > 0) { chatExpiry = cfg.chat_expiry_seconds * 1000; }
  }
  var socketPath = '/ws';
  applyBranding({});

  // ---- transcript ----
  var seen = {};         // seq -> element
  var pending = {};      // client id -> {el, frame}
  var pendingOrder = []; // client ids, oldest first
  var lastSeq = 0;
  var lastQuick = null;
  var unread = false;

  function renderStart() {
    startList.textContent = '';
    starters.forEach(function (q) {
      var li = el('li');
      var b = el('button', 'cb-starter', q);
      b.type = 'button';
      b.addEventListener('click', function () { sendText(q); input.focus(); });
      li.appendChild(b);
      startList.appendChild(li);
    });
    updateStart();
  }
  // The start screen shows while no message is there.
  function updateStart() {
    start.hidden = log.querySelector('.cb-msg') !== null;
    forgetBtn.hidden = !start.hidden; // nothing to end yet
  }

  // msgLang is the language a message is written in, if the widget has
  // labels for it; else the widget's.
  function msgLang(m) { return TEXT[m.language] ? m.language : LANG; }
  function label(m) {
    var l = msgLang(m);
    switch (m.role) {
      case 'citizen': return tl(l, 'you');
      case 'bot': return tl(l, 'bot');
      case 'caseworker': return m.author ? tl(l, 'staffNamed', { name: m.author }) : tl(l, 'staff');
      default: return tl(l, 'system');
    }
  }
  // Keep the newest message in view while the reader is at the bottom,
  // also when banners above the log come and go. A scroll event that comes
  // with a change of the log's height (a status bar appeared, the phone's
  // keyboard opened, zoom) is the layout moving, not the reader scrolling
  // up: it keeps following.
  var atBottom = true;
  var logHeight = 0;
  function scrollDown() {
    log.scrollTop = log.scrollHeight;
    atBottom = true;
    newHint.hidden = true;
  }
  log.addEventListener('scroll', function () {
    var h = log.clientHeight;
    if (h !== logHeight) {
      logHeight = h;
      if (atBottom) { log.scrollTop = log.scrollHeight; }
      return;
    }
    atBottom = log.scrollHeight - log.scrollTop - h < 48;
    if (atBottom) { newHint.hidden = true; }
  });
  if (window.ResizeObserver) {
    new ResizeObserver(function () {
      logHeight = log.clientHeight;
      if (atBottom) { log.scrollTop = log.scrollHeight; }
    }).observe(log);
  }
  newHint.addEventListener('click', function () { scrollDown(); log.focus(); });

  function renderMessage(m) {
    var role = ({ citizen: 1, bot: 1, caseworker: 1, system: 1 })[m.role] ? m.role : 'system';
    var item = el('div', 'cb-msg cb-' + role);
    item.setAttribute('data-seq', String(m.seq));
    var ml = msgLang(m);
    if (ml !== LANG) { item.setAttribute('lang', ml); }
    var who = el('p', 'cb-who');
    if (role === 'caseworker') { who.appendChild(svg(ICON_PERSON)); }
    who.appendChild(document.createTextNode(label(m)));
    if (role === 'citizen') { who.className = 'cb-who cb-sr'; }
    item.appendChild(who);
    var body = el('p', 'cb-text');
    appendText(body, String(m.text || ''));
    item.appendChild(body);
    var srcs = (m.sources || []).filter(function (s) { return s && safeURL(s.url); });
    if (srcs.length) {
      var sp = el('p', 'cb-sources');
      sp.appendChild(el('span', 'cb-sources-label', srcs.length > 1 ? tl(ml, 'sources') : tl(ml, 'source')));
      srcs.forEach(function (s) {
        sp.appendChild(document.createTextNode(' '));
        sp.appendChild(link(safeURL(s.url), String(s.title || s.url)));
      });
      item.appendChild(sp);
    }
    if (role === 'bot' && (m.kind === 'answer' || m.kind === 'clarify')) {
      item.appendChild(feedbackButtons(m));
    }
    var qr = (m.quick_replies || []).filter(function (q) { return q && q.label; });
    if (qr.length && (role === 'bot' || role === 'caseworker')) {
      var group = el('div', 'cb-quick');
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', tl(ml, 'suggestions'));
      if (ml !== LANG) { group.setAttribute('lang', ml); }
      qr.forEach(function (q) {
        var b = el('button', 'cb-chip', String(q.label));
        b.type = 'button';
        b.addEventListener('click', function () { sendText(String(q.payload || q.label)); });
        group.appendChild(b);
      });
      // Shown under the message, until the next answer.
      group.setAttribute('data-seq', String(m.seq + 0.5));
      item.quick = group;
      if (lastQuick) { lastQuick.remove(); }
      lastQuick = group;
    } else if (lastQuick && role !== 'system') {
      lastQuick.remove();
      lastQuick = null;
    }
    return item;
  }

  function feedbackButtons(m) {
    var ml = msgLang(m);
    var box = el('div', 'cb-feedback');
    var up = el('button', 'cb-thumb');
    var down = el('button', 'cb-thumb');
    [[up, 1, ICON_UP, 'helpful'], [down, -1, ICON_DOWN, 'unhelpful']].forEach(function (x) {
      var b = x[0];
      b.type = 'button';
      b.setAttribute('aria-label', tl(ml, x[3]));
      b.title = tl(ml, x[3]);
      b.setAttribute('aria-pressed', m.feedback === x[1] ? 'true' : 'false');
      b.appendChild(svg(x[2]));
      b.addEventListener('click', function () {
        up.setAttribute('aria-pressed', x[1] === 1 ? 'true' : 'false');
        down.setAttribute('aria-pressed', x[1] === -1 ? 'true' : 'false');
        thanks.textContent = tl(ml, 'thanks');
        send({ type: 'feedback', id: randomID(), seq: m.seq, value: x[1] });
      });
      box.appendChild(b);
    });
    var thanks = el('span', 'cb-thanks');
    thanks.setAttribute('role', 'status');
    box.appendChild(thanks);
    return box;
  }

  function addMessage(m) {
    if (typeof m.seq !== 'number' || seen[m.seq]) { return; }
    var item = renderMessage(m);
    seen[m.seq] = item;
    if (m.client_id && pending[m.client_id]) {
      // Our own message came back from the server: replace the pending copy.
      var p = pending[m.client_id];
      delete pending[m.client_id];
      pendingOrder = pendingOrder.filter(function (id) { return id !== m.client_id; });
      p.el.remove();
      if (inflight === m.client_id) { inflight = null; clearTimeout(inflightTimer); }
      pumpLater();
    }
    // Keep the log in seq order; pending messages stay last.
    var before = null;
    var kids = log.children;
    for (var i = 0; i < kids.length; i++) {
      var s = kids[i].getAttribute('data-seq');
      if (s === null || Number(s) > m.seq) { before = kids[i]; break; }
    }
    log.insertBefore(item, before);
    if (item.quick) { log.insertBefore(item.quick, before); }
    if (m.seq > lastSeq) { lastSeq = m.seq; state.last_seq = lastSeq; }
    // Activity keeps the chat: a new message now, or one the server stored
    // while this page was away (not the replay of old ones on a reload).
    var at = Date.parse(m.at);
    if (!replaying) { touch(); } else if (at > (state.at || 0) && at <= Date.now()) { state.at = at; save(state); } else { save(state); }
    if (m.role !== 'citizen') { typing.hidden = true; }
    if (m.role === 'caseworker' && m.author && m.author !== staffName) {
      staffName = String(m.author);
      if (handoffStatus === 'claimed') { showHandoff({ status: 'claimed' }); }
    }
    if (!isOpen() && m.role !== 'citizen' && !replaying) { setUnread(true); }
    updateStart();
    if (m.role === 'citizen' || atBottom || replaying) { scrollDown(); } else { newHint.hidden = false; }
  }

  function addPending(frame) {
    var item = el('div', 'cb-msg cb-citizen cb-pending');
    item.appendChild(el('p', 'cb-who cb-sr', t('you')));
    var body = el('p', 'cb-text');
    appendText(body, frame.text || t('person'));
    item.appendChild(body);
    var st = el('p', 'cb-state', t('sending'));
    item.appendChild(st);
    log.appendChild(item);
    pending[frame.id] = { el: item, frame: frame, state: st };
    pendingOrder.push(frame.id);
    touch();
    updateStart();
    scrollDown();
  }

  function systemNote(text) {
    var item = el('div', 'cb-msg cb-system cb-local');
    item.appendChild(el('p', 'cb-who', t('system')));
    item.appendChild(el('p', 'cb-text', text));
    log.appendChild(item);
    updateStart();
    scrollDown();
  }

  // ---- open / close ----
  function isOpen() { return MODE === 'page' || !panel.hidden; }
  function setUnread(u) {
    unread = u;
    if (!bubble) { return; }
    bubble.classList.toggle('cb-unread', u);
    bubble.setAttribute('aria-label', t(u ? 'openUnread' : 'open'));
  }
  // On a phone (or at high zoom) the open panel covers the page: it is a
  // modal dialog then — the page behind is inert and Tab stays inside.
  var small = window.matchMedia ? window.matchMedia('(max-width: 480px), (max-height: 480px)') : null;
  var inerted = [];
  function setModal(on) {
    inerted.forEach(function (e) { e.inert = false; });
    inerted = [];
    panel.removeAttribute('aria-modal');
    if (!on) { return; }
    panel.setAttribute('aria-modal', 'true');
    Array.prototype.forEach.call(document.body.children, function (c) {
      if (c !== host && !c.inert && c.tagName !== 'SCRIPT') { c.inert = true; inerted.push(c); }
    });
  }
  function modal() { return !!small && small.matches && isOpen() && MODE === 'bubble'; }
  if (small && small.addEventListener) {
    small.addEventListener('change', function () { if (MODE === 'bubble' && !panel.hidden) { setModal(modal()); } });
  }
  function focusables() {
    return Array.prototype.filter.call(panel.querySelectorAll('button, a[href], textarea, [tabindex="0"]'), function (e) {
      return !e.hidden && !e.disabled && e.getClientRects().length > 0;
    });
  }
  panel.addEventListener('keydown', function (e) {
    if (e.key !== 'Tab' || !panel.hasAttribute('aria-modal')) { return; }
    var f = focusables();
    if (!f.length) { return; }
    var first = f[0], last = f[f.length - 1], active = root.activeElement;
    if (e.shiftKey && (active === first || !panel.contains(active))) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && (active === last || !panel.contains(active))) { e.preventDefault(); first.focus(); }
  });

  function open() {
    if (!bubble) { return; }
    panel.hidden = false;
    setModal(modal());
    bubble.setAttribute('aria-expanded', 'true');
    wrap.classList.add('cb-open');
    setUnread(false);
    expire();
    connect();
    scrollDown();
    (notice.hidden ? input : noticeOk).focus();
  }
  function close() {
    if (!bubble) { return; }
    setModal(false);
    panel.hidden = true;
    bubble.setAttribute('aria-expanded', 'false');
    wrap.classList.remove('cb-open');
    bubble.focus();
  }
  if (bubble) {
    bubble.addEventListener('click', function () { if (panel.hidden) { open(); } else { close(); } });
    closeBtn.addEventListener('click', close);
    panel.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') { e.preventDefault(); close(); }
    });
  }
  noticeOk.addEventListener('click', function () {
    notice.hidden = true;
    state.noticeSeen = true;
    save(state);
    input.focus();
  });

  // ---- sending ----
  function sendText(text) {
    text = String(text).trim();
    expire();
    if (!text) { systemNote(t('errEmpty')); return; }
    var frame = { type: 'message', id: randomID(), text: text };
    addPending(frame);
    pump();
  }
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var text = input.value;
    if (!text.trim()) { input.focus(); return; }
    input.value = '';
    autoSize();
    sendText(text);
    input.focus();
  });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      if (form.requestSubmit) { form.requestSubmit(); } else { sendBtn.click(); }
    }
  });
  input.addEventListener('keypress', function (e) {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); } // no stray newline
  });
  // The box grows with its text up to 160 px. Its height includes the
  // borders (border-box), scrollHeight does not: add them, or a one-line
  // text overflows by the border width and shows scrollbar arrows.
  function autoSize() {
    input.style.height = 'auto';
    var borders = input.offsetHeight - input.clientHeight;
    input.style.height = Math.min(input.scrollHeight + borders, 160) + 'px';
  }
  input.addEventListener('input', autoSize);
  personBtn.addEventListener('click', function () {
    var frame = { type: 'person', id: randomID() };
    addPending(frame);
    pump();
  });
  forgetBtn.addEventListener('click', function () {
    if (!window.confirm(t('forgetConfirm'))) { return; }
    send({ type: 'forget', id: randomID() });
  });

  // ---- connection ----
  var ws = null;
  var ready = false;      // welcome received
  var replaying = false;  // between welcome and synced
  var attempt = 0;
  var retryTimer = null;
  var countdownTimer = null;
  var wanted = false;     // connect() was called

  function send(frame) {
    if (ws && ready && ws.readyState === 1) {
      ws.send(JSON.stringify(frame));
      return true;
    }
    connect();
    return false; // pending frames are sent after the next welcome
  }

  function showBanner(text, withButton, count) {
    if (bannerText.textContent !== text) { bannerText.textContent = text; }
    bannerCount.textContent = count || '';
    reconnectBtn.hidden = !withButton;
    banner.hidden = false;
  }
  function hideBanner() { banner.hidden = true; }

  function connect() {
    wanted = true;
    if (ws && ws.readyState <= 1) { return; }
    clearTimeout(retryTimer);
    clearInterval(countdownTimer);
    var url = ORIGIN.replace(/^http/, 'ws') + socketPath;
    ready = false;
    try { ws = new WebSocket(url); } catch (e) { scheduleReconnect(); return; }
    if (attempt > 0) { showBanner(t('connecting'), false); }
    ws.onopen = function () {
      ws.send(JSON.stringify({ type: 'hello', v: PROTOCOL, token: state.token || '', last_seq: lastSeq, lang: LANG }));
    };
    ws.onmessage = function (ev) {
      var f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (f && typeof f.type === 'string') { onFrame(f); }
    };
    ws.onclose = function (ev) {
      ws = null;
      ready = false;
      inflight = null;
      clearTimeout(inflightTimer);
      if (ev.code === 1000 && forgotten) { forgotten = false; attempt = 0; connect(); return; }
      scheduleReconnect(ev.code === 1012 ? 500 : 0);
    };
  }

  function scheduleReconnect(hint) {
    if (!wanted) { return; }
    attempt++;
    var delay = hint || Math.min(30000, 1000 * Math.pow(2, Math.min(attempt - 1, 5)));
    delay += Math.floor(Math.random() * 500);
    var until = Date.now() + delay;
    function tick() {
      showBanner(t('reconnecting'), true, t('retryIn', { s: Math.max(1, Math.ceil((until - Date.now()) / 1000)) }));
    }
    tick();
    clearInterval(countdownTimer);
    countdownTimer = setInterval(tick, 1000);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { clearInterval(countdownTimer); connect(); }, delay);
  }
  reconnectBtn.addEventListener('click', function () { attempt = 0; connect(); });

  var forgotten = false;

  // Citizen messages go out one at a time, oldest first: the next is sent
  // when the server has stored the one before (its echo came back) or
  // refused it for good. A frame the server asks to retry holds the queue
  // until then, so messages written during an outage or a rate limit are
  // stored in the order they were written (issue 21.10).
  var inflight = null;    // client id sent, answer outstanding
  var inflightTimer = null;
  var holdUntil = 0;      // no sending before (retry_after_ms)
  var holdTimer = null;
  function pump() {
    if (inflight || !ready || !ws || ws.readyState !== 1) {
      if (!ws && attempt === 0) { connect(); } // else the reconnect loop is on it
      return;
    }
    var wait = holdUntil - Date.now();
    if (wait > 0) {
      clearTimeout(holdTimer);
      holdTimer = setTimeout(pump, wait);
      return;
    }
    var id = pendingOrder[0];
    if (!id || !pending[id]) { return; }
    inflight = id;
    ws.send(JSON.stringify(pending[id].frame));
    // The server answers every frame (echo or error) within its turn
    // timeout; if nothing came, send the same id again (stored once).
    clearTimeout(inflightTimer);
    inflightTimer = setTimeout(function () { if (inflight === id) { inflight = null; pump(); } }, 40000);
  }
  function pumpLater() { setTimeout(pump, 0); }
  function holdQueue(ms) {
    inflight = null;
    clearTimeout(inflightTimer);
    holdUntil = Date.now() + ms;
    pump();
  }

  // dropChat forgets the chat on this device: token, transcript, queue.
  function dropChat() {
    state = { noticeSeen: state.noticeSeen };
    save(state);
    pending = {};
    pendingOrder = [];
    inflight = null;
    clearTranscript();
    staffName = '';
    showHandoff({ status: 'bot' });
  }

  // expire drops a chat idle for longer than chatExpiry and starts afresh
  // on a new socket if the chat is open.
  function expire() {
    if (!expired()) { return false; }
    dropChat();
    if (ws) {
      var old = ws;
      ws = null;
      ready = false;
      old.onclose = null;
      try { old.close(1000); } catch (e) { /* closed */ }
    }
    wanted = false;
    clearTimeout(retryTimer);
    clearInterval(countdownTimer);
    hideBanner();
    if (isOpen()) { connect(); }
    return true;
  }

  function clearTranscript() {
    log.textContent = '';
    log.appendChild(start);
    seen = {};
    lastSeq = 0;
    lastQuick = null;
    pendingOrder.forEach(function (id) { log.appendChild(pending[id].el); });
    updateStart();
  }

  function onFrame(f) {
    switch (f.type) {
      case 'welcome':
        ready = true;
        attempt = 0;
        hideBanner();
        var had = !!state.token && (lastSeq > 0 || state.last_seq > 0);
        if (f.token && f.token !== state.token) { state.token = f.token; }
        if (f.reset) {
          clearTranscript();
          // The server does not know the conversation (a restart without
          // Redis, or it expired): say so once instead of emptying the
          // chat silently; what is still pending starts the new one.
          if (!f.resumed && had) { systemNote(t('lost')); }
        }
        if (!f.resumed || f.status === 'bot' || f.status === 'closed') { showHandoff({ status: f.status }); }
        state.last_seq = lastSeq;
        if (!state.at) { state.at = Date.now(); }
        save(state);
        replaying = true;
        log.setAttribute('aria-busy', 'true');
        break;
      case 'message':
        if (f.message) { addMessage(f.message); }
        break;
      case 'synced':
        replaying = false;
        log.removeAttribute('aria-busy');
        pump();
        break;
      case 'typing':
        if (f.from === 'caseworker') {
          typingText.textContent = staffName ? t('typingNamed', { name: staffName }) : t('typingStaff');
        } else {
          typingText.textContent = t('typing');
        }
        typing.hidden = !f.on;
        // Should the "off" be lost, the indicator does not stay forever.
        clearTimeout(typingTimer);
        if (f.on) { typingTimer = setTimeout(function () { typing.hidden = true; }, 15000); }
        break;
      case 'handoff':
        showHandoff(f);
        break;
      case 'ack':
        if (ratingRef && f.ref === ratingRef) { rated(true); }
        break;
      case 'error':
        onError(f);
        break;
      case 'forgotten':
        forgotten = true;
        dropChat();
        systemNote(t('forgotten'));
        break;
      case 'server_shutdown':
        showBanner(t('connecting'), false);
        break;
    }
  }

  function showHandoff(f) {
    var text = '';
    switch (f.status) {
      case 'waiting':
        text = f.position > 0 ? t('waiting', { n: f.position }) : t('waitingNoPos');
        if (f.wait_seconds > 0) {
          var m = Math.max(1, Math.round(f.wait_seconds / 60));
          text += m === 1 ? t('waitMinute') : t('waitMinutes', { m: m });
        }
        break;
      case 'claimed': text = staffName ? t('claimedNamed', { name: staffName }) : t('claimed'); break;
      case 'ticket': text = t('ticket'); break;
    }
    if (handoffStatus === 'claimed' && (f.status === 'bot' || f.status === 'closed')) { askRating(); }
    handoffStatus = f.status;
    handoff.textContent = text;
    handoff.hidden = !text;
    // While a person is there or on the way, the button would only queue
    // again: hide it.
    personBtn.hidden = f.status === 'waiting' || f.status === 'claimed';
  }
  var handoffStatus = '';

  // ---- rating of the conversation with a person ----
  // Asked once, when the caseworker gives the conversation back or closes
  // it: 1 to 5 and an optional comment.
  var ratingRef = null, ratingBox = null;
  function askRating() {
    if (ratingBox || (state.rated && state.rated === state.token)) { return; }
    var box = el('form', 'cb-rating');
    box.noValidate = true;
    var fs = el('fieldset');
    fs.appendChild(el('legend', null, t('rateLegend', { name: staffName || t('rateStaff') })));
    var scale = el('div', 'cb-rate-scale');
    for (var i = 1; i <= 5; i++) {
      var id = 'cb-rate-' + i;
      var r = el('input');
      r.type = 'radio'; r.name = 'cb-rate'; r.value = String(i); r.id = id;
      var lab = el('label', 'cb-rate-option');
      lab.htmlFor = id;
      lab.appendChild(r);
      lab.appendChild(el('span', null, String(i)));
      lab.appendChild(el('span', 'cb-sr', ' ' + t('rateValue', { n: i }) + (i === 1 ? ', ' + t('rateLow') : i === 5 ? ', ' + t('rateHigh') : '')));
      scale.appendChild(lab);
    }
    fs.appendChild(scale);
    var ends = el('p', 'cb-rate-ends');
    ends.setAttribute('aria-hidden', 'true');
    ends.appendChild(el('span', null, t('rateLow')));
    ends.appendChild(el('span', null, t('rateHigh')));
    fs.appendChild(ends);
    var cl = el('label', 'cb-rate-comment-label', t('rateComment'));
    cl.htmlFor = 'cb-rate-comment';
    var comment = el('textarea', 'cb-input cb-rate-comment');
    comment.id = 'cb-rate-comment';
    comment.rows = 2;
    comment.maxLength = 500;
    fs.appendChild(cl);
    fs.appendChild(comment);
    box.appendChild(fs);
    var rateBtn = el('button', 'cb-button', t('rateSend'));
    rateBtn.type = 'submit';
    box.appendChild(rateBtn);
    var status = el('p', 'cb-rate-status');
    status.setAttribute('role', 'status');
    box.appendChild(status);
    box.addEventListener('submit', function (e) {
      e.preventDefault();
      var chosen = box.querySelector('input[name="cb-rate"]:checked');
      if (!chosen) { status.textContent = t('rateChoose'); return; }
      ratingRef = randomID();
      rateBtn.disabled = true;
      send({ type: 'rating', id: ratingRef, value: Number(chosen.value), text: comment.value });
    });
    ratingBox = { el: box, status: status, send: rateBtn };
    log.appendChild(box);
    if (atBottom) { scrollDown(); }
  }
  function rated(ok) {
    if (!ratingBox) { return; }
    if (ok) {
      state.rated = state.token;
      save(state);
      ratingBox.el.querySelector('fieldset').disabled = true;
      ratingBox.send.hidden = true;
      ratingBox.status.textContent = t('rateThanks');
    } else {
      ratingBox.send.disabled = false;
      ratingBox.status.textContent = t('errInternal');
    }
    ratingRef = null;
  }
  var typingTimer = null;
  var staffName = '';

  function onError(f) {
    if (ratingRef && f.ref === ratingRef) { rated(false); return; }
    var p = f.ref && pending[f.ref];
    switch (f.code) {
      case 'unavailable':
      case 'internal':
        if (p) { p.state.textContent = t('retrying'); }
        showBanner(t(f.code === 'unavailable' ? 'errUnavailable' : 'errInternal'), false);
        if (f.ref === 'hello') {
          setTimeout(function () {
            if (ws && ws.readyState === 1) {
              ws.send(JSON.stringify({ type: 'hello', v: PROTOCOL, token: state.token || '', last_seq: lastSeq, lang: LANG }));
            }
          }, f.retry_after_ms || 2000);
        } else if (p) {
          holdQueue(f.retry_after_ms || 2000);
        }
        return;
      case 'rate_limited':
        if (p) { p.state.textContent = t('retrying'); holdQueue(f.retry_after_ms || 5000); }
        systemNote(t('errRate'));
        return;
    }
    if (p) {
      p.el.remove();
      updateStart();
      delete pending[f.ref];
      pendingOrder = pendingOrder.filter(function (id) { return id !== f.ref; });
      if (inflight === f.ref) { inflight = null; clearTimeout(inflightTimer); }
      pumpLater();
    }
    if (f.code === 'message_too_long') { systemNote(t('errTooLong')); } else if (f.code === 'empty_message') { systemNote(t('errEmpty')); } else if (f.code === 'quota_exceeded') { systemNote(t('errQuota')); } else { systemNote(t('errInternal')); }
  }

  // ---- start ----
  // Shown once the stylesheet and the city's settings are there (the
  // settings say how long a chat is kept: expiry comes before connecting).
  var waitingFor = 2;
  function ready1() { if (--waitingFor === 0) { show(); } }
  function show() {
    expire();
    setInterval(expire, 60000);
    wrap.hidden = false;
    if (MODE === 'page') {
      connect();
      (notice.hidden ? input : noticeOk).focus();
    } else if (state.token) {
      connect(); // a conversation is going on: follow it (caseworker replies)
    }
  }
  var cssDone = false;
  function cssReady() { if (!cssDone) { cssDone = true; ready1(); } }
  css.addEventListener('load', cssReady);
  css.addEventListener('error', cssReady);

  var cfgDone = false;
  function cfgReady() { if (!cfgDone) { cfgDone = true; ready1(); } }
  setTimeout(cfgReady, 5000); // a slow config does not keep the chat away
  fetch(ORIGIN + '/widget/config.json', { credentials: 'omit' })
    .then(function (r) { return r.ok ? r.json() : {}; })
    .then(applyBranding, function () { /* defaults */ })
    .then(cfgReady, cfgReady);

  function mount() {
    var target = MODE === 'page' ? (document.getElementById('civibot-page') || document.body) : document.body;
    target.appendChild(host);
  }
  if (document.body) { mount(); } else { document.addEventListener('DOMContentLoaded', mount); }
})();
