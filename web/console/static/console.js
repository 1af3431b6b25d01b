/*
 * civibot caseworker console. Plain JavaScript, no build step.
 *
 * The page talks to /console/api/* (JSON; state-changing requests carry
 * the session's CSRF token in X-CSRF-Token) and follows the queue and the
 * open conversation over the live WebSocket /console/api/live.
 *
 * Citizen text, names and everything else from the server is put into the
 * page with textContent, never parsed as HTML; links are built with
 * createElement from http(s) URLs only.
 */
(function () {
  'use strict';
  var C = window.civibotCommon; // common.js

  var API = '/console/api';
  var LANG_KEY = 'civibot-console-lang';

  var TEXT = {
    de: {
      console: 'Konsole',
      title: 'civibot – Konsole',
      skip: 'Zum Gespräch springen',
      language: 'Sprache',
      logout: 'Abmelden',
      editCanned: 'Textbausteine bearbeiten',
      analytics: 'Auswertung',
      aliasesLink: 'Gelernte Fragen',
      teachHeading: 'Welche Seite beantwortet die Frage?',
      teachHint: 'Der Bot lernt daraus: Die Frage wird ohne persönliche Daten als Vorschlag gespeichert; ein Admin prüft ihn. Ein Link auf eine Seite der Stadt in Ihrer Antwort zählt auch.',
      teachPage: 'Adresse der Seite',
      teach: 'Merken',
      teachThis: 'Diese Seite: {title}',
      taught: 'Als Vorschlag gemerkt: „{title}“ – ein Admin prüft ihn.',
      noSuchPage: 'Das ist keine Seite der Stadt. Bitte die Adresse einer Seite der Stadt angeben.',
      noQuestion: 'In diesem Gespräch hat noch niemand eine Frage gestellt.',
      onlineHeading: 'Wer ist online',
      online: 'Online: {names}',
      onlineNobody: 'Niemand online',
      me: 'Angemeldet: {shown} ({user})',
      staffAnon: 'eine Mitarbeiterin oder ein Mitarbeiter der Stadt',
      loginTitle: 'Anmelden',
      loginHint: 'Melden Sie sich mit Ihrem Konto für die Sachbearbeitung an.',
      username: 'Benutzername',
      password: 'Passwort',
      login: 'Anmelden',
      loggingIn: 'Anmeldung …',
      errCredentials: 'Benutzername oder Passwort ist falsch.',
      errLocked: 'Zu viele Fehlversuche. Versuchen Sie es nach {time} Uhr wieder.',
      errSlowed: 'Für dieses Konto gab es viele Fehlversuche. Bitte warten Sie bis {time} Uhr.',
      errPasswordOff: 'Die Anmeldung mit Passwort ist abgeschaltet. Bitte melden Sie sich über das Single Sign-on Ihrer Verwaltung an.',
      notHandedOff: 'Dieses Gespräch hat nie nach einer Person gefragt; nur die Administration darf es lesen.',
      errDisabled: 'Dieses Konto ist gesperrt. Wenden Sie sich an die Administration.',
      errMissing: 'Bitte Benutzername und Passwort eingeben.',
      errSSO: 'Die Anmeldung über Single Sign-on wurde abgelehnt.',
      errSSOAccount: 'Für Ihre Single-Sign-on-Anmeldung gibt es kein aktives civibot-Konto.',
      sessionExpired: 'Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.',
      loggedOut: 'Sie wurden abgemeldet.',
      queue: 'Warteschlange',
      waiting: 'Wartend',
      tickets: 'Rückrufwünsche',
      mine: 'Meine Gespräche',
      others: 'Bei Kolleginnen und Kollegen',
      noneWaiting: 'Niemand wartet.',
      noneTickets: 'Keine offenen Rückrufwünsche.',
      noneMine: 'Sie haben kein Gespräch übernommen.',
      noneOthers: 'Keine.',
      choose: 'Wählen Sie ein Gespräch aus der Warteschlange.',
      position: 'Platz {n}',
      waitingFor: 'wartet seit {d}',
      since: 'seit {d}',
      with: 'bei {name}',
      minutes: '{n} Min.',
      seconds: '{n} Sek.',
      hours: '{h} Std. {m} Min.',
      convTitle: 'Gespräch über {channel} ({lang})',
      status: 'Status',
      channel: 'Kanal',
      lang: 'Sprache',
      reason: 'Grund',
      assignee: 'Bearbeitet von',
      requested: 'Angefragt',
      outcomeShown: 'Ergebnis',
      contact: 'Kontaktdaten für den Rückruf',
      contactName: 'Name',
      contactPhone: 'Telefon',
      contactEmail: 'E-Mail',
      contactNote: 'Hinweis',
      callerNumber: 'Rufnummer',
      claim: 'Übernehmen',
      giveBack: 'An den Bot zurückgeben',
      transferTo: 'Übergeben an',
      transfer: 'Übergeben',
      noColleagues: '(niemand sonst online)',
      outcome: 'Ergebnis',
      close: 'Abschließen',
      forget: 'Gespräch löschen (DSGVO)',
      forgetConfirm: 'Dieses Gespräch und alle gespeicherten Nachrichten endgültig löschen?',
      forgotten: 'Das Gespräch wurde gelöscht.',
      transcript: 'Verlauf',
      transcriptLabel: 'Verlauf des Gesprächs',
      cannedLabel: 'Textbaustein',
      cannedNone: '– Textbaustein wählen –',
      insert: 'Einfügen',
      replyLabel: 'Antwort an die Bürgerin oder den Bürger (erscheint als „{shown}“)',
      replyDisabled: 'Übernehmen Sie das Gespräch, um zu antworten.',
      send: 'Antwort senden',
      noteLabel: 'Interne Notiz (wird nie an die Bürgerin oder den Bürger gesendet)',
      addNote: 'Notiz speichern',
      chars: '{n} von {max} Zeichen',
      role_citizen: 'Bürgerin/Bürger',
      role_bot: 'KI-Assistent',
      role_caseworker: '{name} (Sachbearbeitung)',
      role_system: 'Hinweis an die Bürgerin/den Bürger',
      role_note: 'Interne Notiz von {name}',
      notePrivate: 'nur intern sichtbar',
      notDelivered: 'nicht zugestellt',
      decision: 'Entscheidung: {kind}, Sicherheit {conf} %',
      candidates: 'Kandidatenseiten',
      sources: 'Quellen',
      score: 'Score {s}',
      kind_answer: 'Antwort', kind_clarify: 'Rückfrage', kind_handoff: 'Übergabe', kind_smalltalk: 'Smalltalk',
      kind_emergency: 'Notfall', kind_silent: 'still', kind_error: 'Fehler', kind_contact: 'Kontakt',
      status_bot: 'beim Bot', status_waiting: 'wartet', status_claimed: 'übernommen', status_ticket: 'Rückrufwunsch', status_closed: 'abgeschlossen',
      channel_web: 'Web-Chat', channel_telegram: 'Telegram', channel_sms: 'SMS', channel_voice: 'Telefon', channel_email: 'E-Mail', channel_whatsapp: 'WhatsApp',
      windowOpen: '{channel}: Antworten können bis {time} Uhr zugestellt werden (24 Stunden nach der letzten Nachricht der Person).',
      windowClosed: '{channel}: Das 24-Stunden-Fenster ist seit {time} Uhr geschlossen. Antworten werden gespeichert und zugestellt, sobald die Person wieder schreibt.',
      windowNever: '{channel}: Die Person hat noch nicht geschrieben; Antworten können erst danach zugestellt werden.',
      windowNoTemplate: 'Es ist keine freigegebene Vorlage eingerichtet (twilio.whatsapp.template_sid).',
      sendTemplate: 'Freigegebene Vorlage senden: „{text}“',
      templateSent: 'Die Vorlage wurde gesendet.',
      role_template: 'Vorlage von {name}',
      lang_de: 'Deutsch', lang_en: 'Englisch', lang_: 'unbekannt',
      reason_low_confidence: 'Bot unsicher', reason_human_request: 'Wunsch nach einem Menschen', reason_case_specific: 'Einzelfall',
      reason_urgent: 'dringend', reason_prompt_injection: 'Manipulationsversuch', reason_out_of_scope: 'außerhalb des Angebots',
      reason_button: 'Schaltfläche „Mit einem Menschen sprechen“', reason_no_match: 'nicht verstanden', reason_callback: 'Rückruf', reason_unknown: 'unbekannt',
      outcome_resolved: 'Erledigt', outcome_callback_done: 'Rückruf erledigt', outcome_no_show: 'Keine Antwort', outcome_spam: 'Spam', outcome_other: 'Sonstiges',
      claimed: 'Sie haben das Gespräch übernommen.',
      alreadyClaimed: '{name} hat das Gespräch schon übernommen.',
      alreadyClaimedAnon: 'Jemand anderes hat das Gespräch schon übernommen.',
      notWaiting: 'Das Gespräch wartet nicht mehr auf eine Sachbearbeitung.',
      notAssignee: 'Sie bearbeiten dieses Gespräch nicht (mehr).',
      unknownColleague: 'Diese Kollegin oder dieser Kollege ist nicht verfügbar.',
      gaveBack: 'Das Gespräch ist wieder beim Bot.',
      transferred: 'Das Gespräch wurde an {name} übergeben.',
      closed: 'Das Gespräch wurde abgeschlossen.',
      sent: 'Antwort gesendet.',
      sentNotDelivered: 'Die Antwort ist gespeichert, konnte aber nicht zugestellt werden (Kanal {channel}).',
      noted: 'Notiz gespeichert.',
      emptyText: 'Bitte einen Text eingeben.',
      tooLong: 'Der Text ist zu lang.',
      adminOnly: 'Nur die Administration darf das.',
      notFound: 'Dieses Gespräch gibt es nicht mehr.',
      unavailable: 'Der Dienst ist gerade gestört. Bitte versuchen Sie es gleich noch einmal.',
      failed: 'Das hat nicht geklappt ({code}).',
      offlineBanner: 'Verbindung unterbrochen – neuer Versuch …',
      storeDown: 'Der Speicher ist gerade nicht erreichbar. Die Konsole holt alles nach, sobald er wieder da ist.',
      restarting: 'Der Server startet neu – Verbindung wird wiederhergestellt …',
      newWaiting: 'Neu in der Warteschlange: {channel}, {lang}, {reason}.',
      newTicket: 'Neuer Rückrufwunsch: {channel}, {lang}.',
      newMine: 'Ihnen wurde ein Gespräch übergeben.',
      newMessage: 'Neue Nachricht der Bürgerin oder des Bürgers.',
      newMessageIn: 'Neue Nachricht in einem Ihrer Gespräche ({channel}): „{text}“',
      unread: 'ungelesen',
      notify: 'Ton und Desktop-Hinweis',
      notifyDenied: 'Der Browser erlaubt keine Desktop-Hinweise; der Ton bleibt an.',
      sendKey: 'Strg+Enter sendet',
      rating: 'Bewertung',
      ratingValue: '{n} von 5',
      ephemeral: 'Ohne Redis: Ein Neustart von civibot löscht alle Gespräche, Rückrufwünsche und Anmeldungen.',
      open: 'Öffnen: {what}',
      cannedTitle: 'Textbausteine',
      cannedAdd: 'Baustein hinzufügen',
      cannedRemove: 'Entfernen',
      cannedTitleField: 'Titel',
      cannedTextField: 'Text',
      cannedLangField: 'Sprache',
      cannedAny: 'alle',
      cannedSaved: 'Textbausteine gespeichert.',
      cancel: 'Abbrechen',
      save: 'Speichern',
      you: 'Sie'
    },
    en: {
      console: 'Console',
      title: 'civibot – Console',
      skip: 'Skip to the conversation',
      language: 'Language',
      logout: 'Log out',
      editCanned: 'Edit canned replies',
      analytics: 'Analytics',
      aliasesLink: 'Learnt questions',
      teachHeading: 'Which page answers the question?',
      teachHint: 'The bot learns from it: the question is kept without personal data as a suggestion; an administrator reviews it. A link to one of the city\'s pages in your reply counts too.',
      teachPage: 'Address of the page',
      teach: 'Remember',
      teachThis: 'This page: {title}',
      taught: 'Kept as a suggestion: “{title}” – an administrator will review it.',
      noSuchPage: 'That is not one of the city\'s pages. Please give the address of a page of the city.',
      noQuestion: 'Nobody has asked a question in this conversation yet.',
      onlineHeading: 'Who is online',
      online: 'Online: {names}',
      onlineNobody: 'Nobody online',
      me: 'Logged in: {shown} ({user})',
      staffAnon: 'a city staff member',
      loginTitle: 'Log in',
      loginHint: 'Log in with your caseworker account.',
      username: 'User name',
      password: 'Password',
      login: 'Log in',
      loggingIn: 'Logging in …',
      errCredentials: 'Wrong user name or password.',
      errLocked: 'Too many failed attempts. Try again after {time}.',
      errSlowed: 'There were many failed attempts for this account. Please wait until {time}.',
      errPasswordOff: 'Logging in with a password is switched off. Please log in through your administration\'s single sign-on.',
      notHandedOff: 'This conversation never asked for a person; only administrators may read it.',
      errDisabled: 'This account is disabled. Please contact an administrator.',
      errMissing: 'Please enter your user name and password.',
      errSSO: 'The single sign-on login was refused.',
      errSSOAccount: 'There is no active civibot account for your single sign-on login.',
      sessionExpired: 'Your session has expired. Please log in again.',
      loggedOut: 'You have been logged out.',
      queue: 'Queue',
      waiting: 'Waiting',
      tickets: 'Callback requests',
      mine: 'My conversations',
      others: 'With colleagues',
      noneWaiting: 'Nobody is waiting.',
      noneTickets: 'No open callback requests.',
      noneMine: 'You have not claimed a conversation.',
      noneOthers: 'None.',
      choose: 'Choose a conversation from the queue.',
      position: 'Position {n}',
      waitingFor: 'waiting for {d}',
      since: 'for {d}',
      with: 'with {name}',
      minutes: '{n} min',
      seconds: '{n} s',
      hours: '{h} h {m} min',
      convTitle: 'Conversation on {channel} ({lang})',
      status: 'Status',
      channel: 'Channel',
      lang: 'Language',
      reason: 'Reason',
      assignee: 'Handled by',
      requested: 'Requested',
      outcomeShown: 'Outcome',
      contact: 'Contact details for the callback',
      contactName: 'Name',
      contactPhone: 'Phone',
      contactEmail: 'E-mail',
      contactNote: 'Note',
      callerNumber: 'Caller number',
      claim: 'Claim',
      giveBack: 'Give back to the bot',
      transferTo: 'Transfer to',
      transfer: 'Transfer',
      noColleagues: '(nobody else online)',
      outcome: 'Outcome',
      close: 'Close',
      forget: 'Delete conversation (GDPR)',
      forgetConfirm: 'Delete this conversation and all stored messages for good?',
      forgotten: 'The conversation was deleted.',
      transcript: 'Transcript',
      transcriptLabel: 'Transcript of the conversation',
      cannedLabel: 'Canned reply',
      cannedNone: '– choose a canned reply –',
      insert: 'Insert',
      replyLabel: 'Reply to the citizen (shown as “{shown}”)',
      replyDisabled: 'Claim the conversation to reply.',
      send: 'Send reply',
      noteLabel: 'Private note (never sent to the citizen)',
      addNote: 'Save note',
      chars: '{n} of {max} characters',
      role_citizen: 'Citizen',
      role_bot: 'AI assistant',
      role_caseworker: '{name} (caseworker)',
      role_system: 'Notice to the citizen',
      role_note: 'Private note by {name}',
      notePrivate: 'internal only',
      notDelivered: 'not delivered',
      decision: 'Decision: {kind}, confidence {conf}%',
      candidates: 'Candidate pages',
      sources: 'Sources',
      score: 'score {s}',
      kind_answer: 'answer', kind_clarify: 'clarifying question', kind_handoff: 'handoff', kind_smalltalk: 'small talk',
      kind_emergency: 'emergency', kind_silent: 'silent', kind_error: 'error', kind_contact: 'contact',
      status_bot: 'with the bot', status_waiting: 'waiting', status_claimed: 'claimed', status_ticket: 'callback request', status_closed: 'closed',
      channel_web: 'web chat', channel_telegram: 'Telegram', channel_sms: 'SMS', channel_voice: 'phone', channel_email: 'e-mail', channel_whatsapp: 'WhatsApp',
      windowOpen: '{channel}: replies can be delivered until {time} (24 hours after the person\'s last message).',
      windowClosed: '{channel}: the 24-hour window closed at {time}. Replies are stored and delivered when the person writes again.',
      windowNever: '{channel}: the person has not written yet; replies can only be delivered after that.',
      windowNoTemplate: 'No approved template is configured (twilio.whatsapp.template_sid).',
      sendTemplate: 'Send the approved template: "{text}"',
      templateSent: 'The template was sent.',
      role_template: 'Template from {name}',
      lang_de: 'German', lang_en: 'English', lang_: 'unknown',
      reason_low_confidence: 'bot not sure', reason_human_request: 'asked for a person', reason_case_specific: 'individual case',
      reason_urgent: 'urgent', reason_prompt_injection: 'manipulation attempt', reason_out_of_scope: 'out of scope',
      reason_button: '“Talk to a person” button', reason_no_match: 'not understood', reason_callback: 'callback', reason_unknown: 'unknown',
      outcome_resolved: 'Resolved', outcome_callback_done: 'Callback done', outcome_no_show: 'No answer', outcome_spam: 'Spam', outcome_other: 'Other',
      claimed: 'You have claimed the conversation.',
      alreadyClaimed: '{name} has already claimed this conversation.',
      alreadyClaimedAnon: 'Someone else has already claimed this conversation.',
      notWaiting: 'The conversation is no longer waiting for a caseworker.',
      notAssignee: 'You are not (or no longer) handling this conversation.',
      unknownColleague: 'That colleague is not available.',
      gaveBack: 'The conversation is back with the bot.',
      transferred: 'The conversation was transferred to {name}.',
      closed: 'The conversation was closed.',
      sent: 'Reply sent.',
      sentNotDelivered: 'The reply is stored but could not be delivered (channel {channel}).',
      noted: 'Note saved.',
      emptyText: 'Please enter a text.',
      tooLong: 'The text is too long.',
      adminOnly: 'Only an administrator may do this.',
      notFound: 'This conversation no longer exists.',
      unavailable: 'The service is disrupted right now. Please try again in a moment.',
      failed: 'That did not work ({code}).',
      offlineBanner: 'Connection lost – retrying …',
      storeDown: 'The store cannot be reached right now. The console catches up as soon as it is back.',
      restarting: 'The server is restarting – reconnecting …',
      newWaiting: 'New in the queue: {channel}, {lang}, {reason}.',
      newTicket: 'New callback request: {channel}, {lang}.',
      newMine: 'A conversation was transferred to you.',
      newMessage: 'New message from the citizen.',
      newMessageIn: 'New message in one of your conversations ({channel}): “{text}”',
      unread: 'unread',
      notify: 'Sound and desktop notice',
      notifyDenied: 'The browser does not allow desktop notices; the sound stays on.',
      sendKey: 'Ctrl+Enter sends',
      rating: 'Rating',
      ratingValue: '{n} of 5',
      ephemeral: 'Without Redis: a restart of civibot deletes all conversations, callback requests and logins.',
      open: 'Open: {what}',
      cannedTitle: 'Canned replies',
      cannedAdd: 'Add a reply',
      cannedRemove: 'Remove',
      cannedTitleField: 'Title',
      cannedTextField: 'Text',
      cannedLangField: 'Language',
      cannedAny: 'any',
      cannedSaved: 'Canned replies saved.',
      cancel: 'Cancel',
      save: 'Save',
      you: 'You'
    }
  };

  // ---- state ----
  var S = {
    lang: pickLang(),
    me: null,          // {user, csrf, outcomes, heartbeat_ms, max_chars}
    snap: null,        // last queue snapshot
    skew: 0,           // server time - local time (ms)
    open: null,        // id of the open conversation
    conv: null,        // its record
    lastSeq: 0,        // highest seq shown
    notDelivered: {},  // seq -> true
    pendingReply: null, // {text, conv, id} of a reply whose answer has not arrived
    shown: {},         // seq -> message shown (re-rendered on a language switch)
    canned: [],
    ws: null,
    sid: '',
    wsRetry: 0,
    wsTimer: 0,
    beatTimer: 0,
    known: null,       // ids seen in the lists (for announcements)
    read: loadRead(),  // conversation id -> last_citizen seen (unread markers)
    notify: false      // sound and desktop notice (the caseworker's choice)
  };

  // ---- unread markers ----
  // A conversation is unread while the citizen's last message is newer
  // than what this caseworker has seen (it was open when it came). Kept
  // for the browser session.
  var READ_KEY = 'civibot-console-read';
  function loadRead() {
    try { return JSON.parse(sessionStorage.getItem(READ_KEY) || '{}') || {}; } catch (e) { return {}; }
  }
  function markRead(id, at) {
    if (!at || S.read[id] === at) { return; }
    S.read[id] = at;
    try { sessionStorage.setItem(READ_KEY, JSON.stringify(S.read)); } catch (e) { /* storage off */ }
  }
  function isUnread(kind, s) {
    if (kind === 'others' || s.conversation_id === S.open) { return false; }
    if (!s.last_citizen) { return kind !== 'mine' && !S.read[s.conversation_id]; }
    var seen = S.read[s.conversation_id];
    return !seen || new Date(seen) < new Date(s.last_citizen);
  }
  function unreadCount() {
    var n = 0;
    (S.snap && S.snap.mine || []).forEach(function (s) { if (isUnread('mine', s)) { n++; } });
    return n;
  }
  // The tab title counts the waiting citizens and unread conversations of
  // one's own, so a caseworker in another tab sees them.
  function updateTitle() {
    var n = S.snap ? (S.snap.waiting || []).length + unreadCount() : 0;
    document.title = (n > 0 ? '(' + n + ') ' : '') + t('title');
  }

  // ---- sound and desktop notice (off until the caseworker turns it on) ----
  var NOTIFY_KEY = 'civibot-console-notify';
  function setNotify(on, ask) {
    S.notify = on;
    try { localStorage.setItem(NOTIFY_KEY, on ? '1' : ''); } catch (e) { /* storage off */ }
    $('notify').setAttribute('aria-pressed', on ? 'true' : 'false');
    if (on && ask && window.Notification && Notification.permission === 'default') {
      // Asked once, on the caseworker's click.
      Notification.requestPermission().then(function (p) { if (p === 'denied') { announce(t('notifyDenied')); } });
    } else if (on && ask && window.Notification && Notification.permission === 'denied') {
      announce(t('notifyDenied'));
    }
  }
  var audio = null;
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = 880;
      g.gain.setValueAtTime(0.15, audio.currentTime);
      g.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
      o.connect(g); g.connect(audio.destination);
      o.start(); o.stop(audio.currentTime + 0.4);
    } catch (e) { /* no audio */ }
  }
  function notify(text) {
    announce(text);
    if (!S.notify) { return; }
    beep();
    if (document.hidden && window.Notification && Notification.permission === 'granted') {
      try { new Notification(t('title'), { body: text, tag: 'civibot-console' }); } catch (e) { /* not allowed here */ }
    }
  }

  function $(id) { return document.getElementById(id); }

  // Shared helpers (common.js, loaded first).
  function pickLang() { return C.pickLang(LANG_KEY); }
  function t(key, vars) { return C.t(TEXT, S.lang, key, vars); }
  function label(prefix, code) { return C.label(TEXT, S.lang, prefix, code); }
  function el(tag, cls, text) { return C.el(tag, cls, text); }

  function clear(e) { while (e.firstChild) { e.removeChild(e.firstChild); } }

  function safeURL(u) {
    try {
      var p = new URL(u, location.href);
      return (p.protocol === 'https:' || p.protocol === 'http:') ? p.href : '';
    } catch (e) { return ''; }
  }

  function link(href, text) {
    var url = safeURL(href);
    if (!url) { return el('span', '', text); }
    var a = el('a', '', text);
    a.href = url;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    return a;
  }

  function now() { return Date.now() + S.skew; }

  function duration(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) { return t('seconds', { n: s }); }
    var m = Math.floor(s / 60);
    if (m < 60) { return t('minutes', { n: m }); }
    return t('hours', { h: Math.floor(m / 60), m: m % 60 });
  }

  function clock(iso) {
    var d = new Date(iso);
    if (isNaN(d)) { return ''; }
    return d.toLocaleTimeString(S.lang === 'de' ? 'de-DE' : 'en-GB', { hour: '2-digit', minute: '2-digit' });
  }

  function announce(text) {
    var live = $('announce');
    var p = el('p', '', text);
    live.appendChild(p);
    while (live.childNodes.length > 5) { live.removeChild(live.firstChild); }
  }

  function displayName(user) {
    if (!user) { return ''; }
    if (S.snap && S.snap.people && S.snap.people[user]) { return S.snap.people[user]; }
    if (S.conv && S.conv.people && S.conv.people[user]) { return S.conv.people[user]; }
    return user;
  }

  // ---- static texts ----
  function applyTexts() {
    document.documentElement.lang = S.lang;
    updateTitle();
    var nodes = document.querySelectorAll('[data-t]');
    for (var i = 0; i < nodes.length; i++) { nodes[i].textContent = t(nodes[i].getAttribute('data-t')); }
    $('lang').value = S.lang;
    $('transcript').setAttribute('aria-label', t('transcriptLabel'));
    renderMe();
    renderOutcomes();
    renderCanned();
    if (S.snap) { renderQueue(); }
    if (S.conv) { renderConv(); rerenderTranscript(); }
  }

  // ---- API ----
  function api(method, path, body) {
    var opts = { method: method, credentials: 'same-origin', headers: { 'Accept': 'application/json' } };
    if (method !== 'GET') {
      opts.headers['Content-Type'] = 'application/json';
      if (S.me) { opts.headers['X-CSRF-Token'] = S.me.csrf; }
      opts.body = JSON.stringify(body || {});
    }
    return fetch(API + path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (r.status === 401 && path !== '/login' && path !== '/me') { sessionEnded('session_expired'); }
        return { ok: r.ok, status: r.status, data: data };
      });
    }, function () {
      return { ok: false, status: 0, data: { error: 'network' } };
    });
  }

  function errorText(res) {
    var d = res.data || {};
    switch (d.error) {
      case 'already_claimed': return d.assignee_name ? t('alreadyClaimed', { name: d.assignee_name }) : t('alreadyClaimedAnon');
      case 'not_waiting': return t('notWaiting');
      case 'not_assignee': return t('notAssignee');
      case 'unknown_caseworker': return t('unknownColleague');
      case 'admin_only': return t('adminOnly');
      case 'no_such_page': return t('noSuchPage');
      case 'not_handed_off': return t('notHandedOff');
      case 'no_question': return t('noQuestion');
      case 'not_found': return t('notFound');
      case 'unavailable': case 'network': return t('unavailable');
      case 'invalid':
        if (/empty/.test(d.message || '')) { return t('emptyText'); }
        if (/at most/.test(d.message || '')) { return t('tooLong'); }
        return t('failed', { code: d.message || d.error });
    }
    return t('failed', { code: d.error || res.status });
  }

  // ---- login ----
  function showLogin(message) {
    stopLive();
    S.me = null; S.snap = null; S.open = null; S.conv = null; S.known = null;
    $('app').hidden = true;
    $('presence').hidden = true;
    $('logout').hidden = true;
    $('edit-canned').hidden = true;
    $('analytics-link').hidden = true;
    $('aliases-link').hidden = true;
    $('notify').hidden = true;
    $('ephemeral').hidden = true;
    $('me').hidden = true;
    $('banner').hidden = true;
    $('login-view').hidden = false;
    $('login-error').textContent = message || '';
    $('password').value = '';
    $('username').focus();
  }

  function loggedIn(me) {
    S.me = me;
    $('login-view').hidden = true;
    $('app').hidden = false;
    $('presence').hidden = false;
    $('logout').hidden = false;
    $('edit-canned').hidden = me.user.role !== 'admin';
    $('analytics-link').hidden = me.user.role !== 'admin';
    $('aliases-link').hidden = me.user.role !== 'admin' || !me.learning;
    $('me').hidden = false;
    $('notify').hidden = false;
    $('ephemeral').hidden = !me.ephemeral;
    renderMe();
    renderOutcomes();
    loadCanned();
    startLive();
  }

  function sessionEnded(reason) {
    if (!S.me) { return; }
    showLogin(reason === 'logged_out' ? t('loggedOut') : t('sessionExpired'));
  }

  function onLogin(ev) {
    ev.preventDefault();
    var user = $('username').value.trim();
    var pass = $('password').value;
    if (!user || !pass) { $('login-error').textContent = t('errMissing'); return; }
    var btn = $('login-button');
    btn.disabled = true;
    btn.textContent = t('loggingIn');
    api('POST', '/login', { username: user, password: pass }).then(function (res) {
      btn.disabled = false;
      btn.textContent = t('login');
      if (res.ok) { $('password').value = ''; loggedIn(res.data); $('queue').focus(); return; }
      var d = res.data || {};
      var msg = t('errCredentials');
      if (d.error === 'locked') { msg = t('errLocked', { time: clock(d.until) }); }
      else if (d.error === 'slowed') { msg = t('errSlowed', { time: clock(d.until) }); }
      else if (d.error === 'password_login_off') { msg = t('errPasswordOff'); }
      else if (d.error === 'disabled') { msg = t('errDisabled'); }
      else if (d.error === 'invalid') { msg = t('errMissing'); }
      else if (d.error === 'unavailable' || d.error === 'network') { msg = t('unavailable'); }
      $('login-error').textContent = msg;
      $('password').value = '';
      $('password').focus();
    });
  }

  function logout() {
    api('POST', '/logout', {}).then(function () { showLogin(t('loggedOut')); });
  }

  // ---- header ----
  function renderMe() {
    if (!S.me) { return; }
    var u = S.me.user;
    $('me').textContent = t('me', { user: u.name, shown: u.display_name || u.name });
  }

  function renderPresence() {
    var s = S.snap;
    var names = (s.online || []).map(function (p) { return p.name === S.me.user.name ? p.display_name + ' (' + t('you') + ')' : p.display_name; });
    $('online-text').textContent = names.length ? t('online', { names: names.join(', ') }) : t('onlineNobody');
  }

  // ---- live socket ----
  function startLive() {
    stopLive();
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + API + '/live';
    var ws = new WebSocket(url);
    S.ws = ws;
    ws.onmessage = function (ev) {
      var f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      onFrame(f);
    };
    ws.onclose = function (ev) {
      if (S.ws !== ws) { return; }
      S.ws = null;
      clearInterval(S.beatTimer);
      if (ev.code === 4401) { return; } // session_end already handled
      if (!S.me) { return; }
      // A 401 before the upgrade shows up as an abnormal close: ask /me.
      api('GET', '/me').then(function (res) {
        if (!S.me) { return; }
        if (res.status === 401) { sessionEnded('session_expired'); return; }
        showBanner(ev.code === 1012 ? t('restarting') : t('offlineBanner'));
        var delay = ev.code === 1012 ? 500 : Math.min(10000, 1000 * Math.pow(2, S.wsRetry++));
        S.wsTimer = setTimeout(startLive, delay);
      });
    };
  }

  function stopLive() {
    clearTimeout(S.wsTimer);
    clearInterval(S.beatTimer);
    if (S.ws) { var ws = S.ws; S.ws = null; try { ws.close(1000); } catch (e) { /* closed */ } }
  }

  function sendFrame(f) {
    if (S.ws && S.ws.readyState === 1) { S.ws.send(JSON.stringify(f)); }
  }

  function showBanner(text) { var b = $('banner'); b.textContent = text; b.hidden = false; }
  function hideBanner() { $('banner').hidden = true; }

  function onFrame(f) {
    switch (f.type) {
      case 'welcome':
        S.sid = f.sid;
        S.wsRetry = 0;
        S.skew = new Date(f.now).getTime() - Date.now();
        hideBanner();
        clearInterval(S.beatTimer);
        S.beatTimer = setInterval(function () { sendFrame({ type: 'heartbeat' }); }, f.heartbeat_ms || 20000);
        if (S.open) { sendFrame({ type: 'open', id: S.open, after: S.lastSeq }); }
        break;
      case 'queue':
        S.skew = new Date(f.now).getTime() - Date.now();
        onQueue(f);
        break;
      case 'conversation':
        if (f.conversation && f.conversation.id === S.open) { S.conv = f.conversation; renderConv(); }
        break;
      case 'messages':
        if (f.conversation_id === S.open) { addMessages(f.messages || [], f.replay); }
        break;
      case 'gone':
        if (f.conversation_id === S.open) { closeConv(); $('action-error').textContent = t('forgotten'); }
        break;
      case 'error':
        if (f.code === 'unavailable' || f.code === 'internal') { showBanner(t('storeDown')); }
        break;
      case 'recovered':
        hideBanner();
        break;
      case 'session_end':
        sessionEnded(f.reason);
        break;
      case 'server_shutdown':
        showBanner(t('restarting'));
        break;
    }
  }

  // ---- queue ----
  function onQueue(snap) {
    var before = S.known;
    S.snap = snap;
    var ids = {};
    ['waiting', 'tickets', 'mine', 'others'].forEach(function (k) {
      (snap[k] || []).forEach(function (s) { ids[k + ':' + s.conversation_id] = s; });
    });
    if (before) {
      Object.keys(ids).forEach(function (key) {
        if (before[key]) { return; }
        var s = ids[key];
        var vars = { channel: label('channel_', s.channel), lang: label('lang_', s.language), reason: label('reason_', s.reason) };
        if (key.indexOf('waiting:') === 0) { notify(t('newWaiting', vars)); }
        else if (key.indexOf('tickets:') === 0) { notify(t('newTicket', vars)); }
        else if (key.indexOf('mine:') === 0 && !before['waiting:' + s.conversation_id] && !before['tickets:' + s.conversation_id]) {
          if (S.open !== s.conversation_id) { notify(t('newMine')); }
        }
      });
      // A citizen wrote in one of my conversations that is not open (the
      // open one's transcript is a live region of its own).
      (snap.mine || []).forEach(function (s) {
        var was = before['mine:' + s.conversation_id];
        if (was && s.last_citizen && s.last_citizen !== was.last_citizen && (S.open !== s.conversation_id || document.hidden)) {
          notify(t('newMessageIn', { channel: label('channel_', s.channel), text: C.plain(s.excerpt || '') }));
        }
      });
    }
    S.known = ids;
    renderQueue();
    if (S.conv) { renderTransferTargets(); }
  }

  function renderQueue() {
    ['waiting', 'tickets', 'mine'].forEach(function (k) {
      (S.snap[k] || []).forEach(function (s) { if (s.conversation_id === S.open) { markRead(s.conversation_id, s.last_citizen || S.snap.now); } });
    });
    renderPresence();
    renderList('waiting', S.snap.waiting || []);
    renderList('tickets', S.snap.tickets || []);
    renderList('mine', S.snap.mine || []);
    renderList('others', S.snap.others || []);
    updateTitle();
  }

  function renderList(kind, items) {
    var ul = $(kind);
    var hadFocus = document.activeElement && ul.contains(document.activeElement) ? document.activeElement.getAttribute('data-id') : null;
    clear(ul);
    $('n-' + kind).textContent = String(items.length);
    $('none-' + kind).hidden = items.length > 0;
    items.forEach(function (s) {
      var li = el('li');
      var unread = isUnread(kind, s);
      var b = el('button', 'item' + (s.conversation_id === S.open ? ' current' : '') + (unread ? ' unread' : ''));
      b.type = 'button';
      b.setAttribute('data-id', s.conversation_id);
      if (s.conversation_id === S.open) { b.setAttribute('aria-current', 'true'); }
      var top = el('span', 'item-top');
      top.appendChild(el('span', 'tag', label('channel_', s.channel)));
      top.appendChild(el('span', 'tag', (s.language || '?').toUpperCase()));
      if (kind === 'waiting') { top.appendChild(el('span', 'pos', t('position', { n: s.position }))); }
      var age = el('span', 'age', kind === 'waiting' ? t('waitingFor', { d: duration(now() - new Date(s.since).getTime()) }) : t('since', { d: duration(now() - new Date(s.claimed || s.since).getTime()) }));
      age.setAttribute('data-since', kind === 'waiting' || kind === 'tickets' ? s.since : (s.claimed || s.since));
      age.setAttribute('data-kind', kind);
      top.appendChild(age);
      b.appendChild(top);
      if (unread) { top.appendChild(el('span', 'unread-text', t('unread'))); }
      b.appendChild(el('span', 'reason', label('reason_', s.reason) + (kind === 'others' ? ' · ' + t('with', { name: displayName(s.assignee) }) : '')));
      if (s.excerpt) { b.appendChild(el('span', 'excerpt', C.plain(s.excerpt))); }
      if (s.contact) {
        var c = s.contact;
        var parts = [c.name, c.phone, c.email].filter(function (x) { return !!x; }).map(C.plain);
        if (parts.length) { b.appendChild(el('span', 'contact-line', parts.join(' · '))); }
      }
      b.addEventListener('click', function () { openConv(s.conversation_id, true); });
      li.appendChild(b);
      ul.appendChild(li);
      if (hadFocus === s.conversation_id) { b.focus(); }
    });
  }

  function tickAges() {
    var nodes = document.querySelectorAll('.age[data-since]');
    for (var i = 0; i < nodes.length; i++) {
      var n = nodes[i];
      var d = duration(now() - new Date(n.getAttribute('data-since')).getTime());
      n.textContent = n.getAttribute('data-kind') === 'waiting' ? t('waitingFor', { d: d }) : t('since', { d: d });
    }
  }

  // ---- conversation ----
  function openConv(id, focus) {
    S.open = id;
    S.conv = null;
    S.lastSeq = 0;
    S.notDelivered = {};
    S.shown = {};
    clear($('transcript'));
    $('action-error').textContent = '';
    $('empty').hidden = true;
    $('conv').hidden = false;
    $('conv-title').textContent = '…';
    clear($('meta'));
    sendFrame({ type: 'open', id: id, after: 0 });
    if (S.snap) { renderQueue(); }
    if (focus) { $('main').focus(); }
  }

  function closeConv() {
    sendFrame({ type: 'close' });
    S.open = null; S.conv = null; S.lastSeq = 0; S.shown = {};
    $('conv').hidden = true;
    $('empty').hidden = false;
    if (S.snap) { renderQueue(); }
  }

  function gaveBack(c) {
    var h = c.handoff;
    if (c.status !== 'bot' || !h || h.outcome || !h.audit || !h.audit.length) { return false; }
    var last = h.audit[h.audit.length - 1];
    return last.action === 'gave_back' && last.actor === S.me.user.name;
  }

  function isMine() { return S.conv && S.conv.status === 'claimed' && S.conv.assignee === S.me.user.name; }

  function renderConv() {
    var c = S.conv;
    if (!c) { return; }
    $('conv-title').textContent = t('convTitle', { channel: label('channel_', c.channel), lang: label('lang_', c.language) });
    var meta = $('meta');
    clear(meta);
    function row(k, v) { if (!v) { return; } meta.appendChild(el('dt', '', k)); meta.appendChild(el('dd', '', v)); }
    row(t('status'), label('status_', c.status));
    row(t('assignee'), c.assignee ? (c.people && c.people[c.assignee]) || c.assignee : '');
    if (c.handoff) {
      row(t('reason'), label('reason_', c.handoff.reason));
      row(t('requested'), clock(c.handoff.requested) + ' (' + t('since', { d: duration(now() - new Date(c.handoff.requested).getTime()) }) + ')');
      if (c.handoff.outcome) { row(t('outcomeShown'), label('outcome_', c.handoff.outcome)); }
      if (c.handoff.rating) {
        row(t('rating'), t('ratingValue', { n: c.handoff.rating }) + (c.handoff.rating_comment ? ' – „' + C.plain(c.handoff.rating_comment) + '“' : ''));
      }
    }
    row(t('callerNumber'), c.address);

    var contact = c.contact;
    $('contact').hidden = !contact;
    var cl = $('contact-list');
    clear(cl);
    if (contact) {
      [['contactName', contact.name], ['contactPhone', contact.phone], ['contactEmail', contact.email], ['contactNote', contact.note]].forEach(function (p) {
        if (p[1]) { cl.appendChild(el('dt', '', t(p[0]))); cl.appendChild(el('dd', '', C.plain(p[1]))); }
      });
    }

    var mine = isMine();
    var waiting = c.status === 'waiting' || c.status === 'ticket';
    $('claim').hidden = !waiting;
    $('giveback').hidden = !mine;
    $('transfer-group').hidden = !mine;
    // Closing records the outcome: for the caseworker who has the
    // conversation, or who just gave it back to the bot.
    $('close-group').hidden = !(mine || gaveBack(c));
    $('danger-zone').hidden = S.me.user.role !== 'admin';
    $('reply-form').hidden = !mine;
    renderTeach(c, mine);
    renderTransferTargets();
    renderCanned();
    var shown = S.me.user.display_name || t('staffAnon');
    $('reply-label').textContent = t('replyLabel', { shown: shown });
    loadWindow();
  }

  // ---- reply window (WhatsApp: 24 hours after the person's last message) ----
  function loadWindow() {
    var c = S.conv;
    if (!c || c.channel !== 'whatsapp') { S.window = null; renderWindow(); return; }
    var id = c.id;
    api('GET', '/conversations/' + encodeURIComponent(id)).then(function (res) {
      if (S.open !== id || !res.ok) { return; }
      S.window = res.data.window || null;
      renderWindow();
    });
  }

  function renderWindow() {
    var w = S.window, box = $('window');
    box.hidden = !w;
    if (!w) { return; }
    var ch = label('channel_', S.conv ? S.conv.channel : '');
    var text;
    if (!w.closes) { text = t('windowNever', { channel: ch }); } else if (w.open) { text = t('windowOpen', { channel: ch, time: clock(w.closes) }); } else { text = t('windowClosed', { channel: ch, time: clock(w.closes) }); }
    if (!w.open && !w.template) { text += ' ' + t('windowNoTemplate'); }
    $('window-text').textContent = text;
    box.className = 'window' + (w.open ? '' : ' closed');
    var btn = $('send-template');
    btn.hidden = w.open || !w.template || !isMine();
    btn.textContent = t('sendTemplate', { text: w.template || '' });
  }

  function sendTemplate() {
    var p = S.pendingTemplate;
    if (!p || p.conv !== S.open) { p = S.pendingTemplate = { conv: S.open, id: newClientID() }; }
    $('send-template').disabled = true;
    act('/template', { client_id: p.id }, null, function (res) {
      S.pendingTemplate = null;
      if (res.data.window) { S.window = res.data.window; renderWindow(); }
      if (res.data.delivered === false) {
        markNotDelivered(res.data.message.seq);
        $('action-error').textContent = res.data.warning || t('sentNotDelivered', { channel: label('channel_', S.conv ? S.conv.channel : '') });
      } else {
        announce(t('templateSent'));
      }
    }).then(function () { $('send-template').disabled = false; });
  }

  function renderTransferTargets() {
    var sel = $('transfer-to');
    var keep = sel.value;
    clear(sel);
    var others = ((S.snap && S.snap.online) || []).filter(function (p) { return p.name !== S.me.user.name; });
    others.forEach(function (p) {
      var o = el('option', '', p.display_name + (p.display_name !== p.name ? ' (' + p.name + ')' : ''));
      o.value = p.name;
      sel.appendChild(o);
    });
    if (!others.length) { var o = el('option', '', t('noColleagues')); o.value = ''; sel.appendChild(o); }
    if (keep) { sel.value = keep; }
    $('transfer').disabled = !others.length;
  }

  function renderOutcomes() {
    var sel = $('outcome');
    var keep = sel.value;
    clear(sel);
    ((S.me && S.me.outcomes) || []).forEach(function (o) {
      var opt = el('option', '', label('outcome_', o));
      opt.value = o;
      sel.appendChild(opt);
    });
    if (keep) { sel.value = keep; }
  }

  // The transcript is a live region (role log): a screen reader reads new
  // messages with their text; the history shown on opening is not read
  // out (aria-busy while it is added).
  function addMessages(msgs, replay) {
    var ol = $('transcript');
    var citizenNews = null;
    if (replay) { ol.setAttribute('aria-busy', 'true'); }
    msgs.forEach(function (m) {
      if (m.seq <= S.lastSeq) { return; } // each message once
      S.lastSeq = m.seq;
      ol.appendChild(renderMessage(m));
      if (m.role === 'citizen') { markRead(S.open, m.at); }
      if (!replay && m.role === 'citizen') { citizenNews = m; }
    });
    if (replay) { setTimeout(function () { ol.removeAttribute('aria-busy'); }, 0); }
    if (citizenNews) {
      if (document.hidden) { notify(t('newMessage') + ' ' + C.plain(citizenNews.text)); }
      if (S.conv && S.conv.channel === 'whatsapp') { loadWindow(); }
    }
    ol.scrollTop = ol.scrollHeight;
  }

  function renderMessage(m) {
    S.shown[m.seq] = m;
    var li = el('li', 'msg role-' + m.role);
    li.setAttribute('data-seq', String(m.seq));
    var head = el('p', 'msg-head');
    var who;
    switch (m.role) {
      case 'caseworker': who = t(m.action === 'template' ? 'role_template' : 'role_caseworker', { name: m.author_name || m.author }); break;
      case 'note': who = t('role_note', { name: m.author_name || m.author }); break;
      default: who = label('role_', m.role);
    }
    head.appendChild(el('span', 'who', who));
    var time = el('time', 'when', clock(m.at));
    time.setAttribute('datetime', m.at);
    head.appendChild(time);
    if (m.role === 'note') { head.appendChild(el('span', 'badge', t('notePrivate'))); }
    if (S.notDelivered[m.seq]) { head.appendChild(el('span', 'badge warn', t('notDelivered'))); }
    li.appendChild(head);
    li.appendChild(el('p', 'msg-text', C.plain(m.text)));
    if (m.sources && m.sources.length) {
      var sp = el('p', 'sources');
      sp.appendChild(el('span', '', t('sources') + ': '));
      m.sources.forEach(function (s, i) {
        if (i) { sp.appendChild(document.createTextNode(', ')); }
        sp.appendChild(link(s.url, s.title || s.page_id));
      });
      li.appendChild(sp);
    }
    if (m.decision) {
      var d = m.decision;
      var dp = el('p', 'decision', t('decision', { kind: label('kind_', d.kind), conf: Math.round((d.confidence || 0) * 100) }) +
        (d.reason ? ' · ' + label('reason_', d.reason) : ''));
      li.appendChild(dp);
      if (d.candidates && d.candidates.length) {
        var det = el('details', 'cands');
        det.appendChild(el('summary', '', t('candidates') + ' (' + d.candidates.length + ')'));
        var ul = el('ul');
        d.candidates.forEach(function (c) {
          var item = el('li');
          item.appendChild(link(c.url, c.title || c.id));
          if (c.score) { item.appendChild(el('span', 'score', ' · ' + t('score', { s: c.score.toFixed(2) }))); }
          ul.appendChild(item);
        });
        det.appendChild(ul);
        li.appendChild(det);
      }
    }
    return li;
  }

  function rerenderTranscript() {
    var ol = $('transcript');
    var seqs = Object.keys(S.shown).map(Number).sort(function (a, b) { return a - b; });
    clear(ol);
    seqs.forEach(function (s) { ol.appendChild(renderMessage(S.shown[s])); });
  }

  function markNotDelivered(seq) {
    S.notDelivered[seq] = true;
    var li = document.querySelector('#transcript li[data-seq="' + seq + '"] .msg-head');
    if (li && !li.querySelector('.warn')) { li.appendChild(el('span', 'badge warn', t('notDelivered'))); }
  }

  // ---- actions ----
  function act(path, body, okText, after) {
    var id = S.open;
    $('action-error').textContent = '';
    return api('POST', '/conversations/' + encodeURIComponent(id) + path, body).then(function (res) {
      if (!res.ok) { $('action-error').textContent = errorText(res); return res; }
      if (res.data.conversation && res.data.conversation.id === S.open) { S.conv = res.data.conversation; renderConv(); }
      if (okText) { announce(okText); }
      if (after) { after(res); }
      return res;
    });
  }

  function claim() {
    act('/claim', {}, t('claimed'), function () { $('reply').focus(); });
  }

  function giveBack() { act('/giveback', {}, t('gaveBack')); }

  function transfer() {
    var to = $('transfer-to').value;
    if (!to) { return; }
    act('/transfer', { to: to }, t('transferred', { name: displayName(to) }));
  }

  function closeWith() { act('/close', { outcome: $('outcome').value }, t('closed')); }

  function forget() {
    if (!window.confirm(t('forgetConfirm'))) { return; }
    var id = S.open;
    api('DELETE', '/conversations/' + encodeURIComponent(id), {}).then(function (res) {
      if (!res.ok) { $('action-error').textContent = errorText(res); return; }
      if (S.open === id) { closeConv(); }
      announce(t('forgotten'));
    });
  }

  function newClientID() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }

  function sendReply(ev) {
    ev.preventDefault();
    var box = $('reply');
    var text = box.value.trim();
    if (!text) { $('action-error').textContent = t('emptyText'); box.focus(); return; }
    $('send').disabled = true;
    // One id per reply. Sent again after a lost answer (network error, 5xx),
    // the same text keeps its id: the server stores and pushes it once.
    var p = S.pendingReply;
    if (!p || p.text !== text || p.conv !== S.open) {
      p = S.pendingReply = { text: text, conv: S.open, id: newClientID() };
    }
    act('/reply', { text: text, client_id: p.id }, null, function (res) {
      S.pendingReply = null;
      lastTyping = 0; // the next reply's typing shows at once
      if (res.data.taught) { showTaught(res.data.taught); }
      box.value = '';
      updateCount();
      if (res.data.delivered === false) {
        markNotDelivered(res.data.message.seq);
        $('action-error').textContent = t('sentNotDelivered', { channel: label('channel_', S.conv ? S.conv.channel : '') });
        if (res.data.window) { S.window = res.data.window; renderWindow(); }
      } else {
        announce(t('sent'));
      }
    }).then(function () { $('send').disabled = false; });
  }

  // ---- learning from caseworkers: the page that answers the question ----
  function renderTeach(c, mine) {
    var form = $('teach-form');
    form.hidden = !(mine && S.me.learning);
    if (form.hidden) { return; }
    if (form.getAttribute('data-conv') !== c.id) {
      form.setAttribute('data-conv', c.id);
      $('teach-status').textContent = '';
      $('teach-page').value = '';
    }
    var box = $('teach-cands');
    clear(box);
    var cands = (c.handoff && c.handoff.candidates) || [];
    cands.slice(0, 3).forEach(function (p) {
      var b = el('button', 'btn secondary', t('teachThis', { title: p.title || p.id }));
      b.type = 'button';
      b.addEventListener('click', function () { teach(p.id); });
      box.appendChild(b);
    });
    box.hidden = cands.length === 0;
  }

  function teach(page) {
    $('teach-status').textContent = '';
    act('/teach', { page: page }, null, function (res) {
      $('teach-page').value = '';
      showTaught(res.data.taught);
    });
  }

  function showTaught(s) {
    $('teach-status').textContent = t('taught', { title: s.page_title || s.page_id });
  }

  function addNote(ev) {
    ev.preventDefault();
    var box = $('note');
    var text = box.value.trim();
    if (!text) { $('action-error').textContent = t('emptyText'); box.focus(); return; }
    act('/note', { text: text }, t('noted'), function () { box.value = ''; });
  }

  // While the caseworker types a reply, the citizen's web chat shows
  // "… is typing" (a signal at most every 3 s).
  var lastTyping = 0;
  function typing() {
    if (!isMine() || !$('reply').value || Date.now() - lastTyping < 3000) { return; }
    lastTyping = Date.now();
    sendFrame({ type: 'typing', id: S.open });
  }

  function updateCount() {
    var n = $('reply').value.length;
    $('reply-hint').textContent = n ? t('chars', { n: n, max: (S.me && S.me.max_chars) || 4000 }) : '';
  }

  // ---- canned replies ----
  function loadCanned() {
    api('GET', '/canned').then(function (res) {
      if (res.ok) { S.canned = res.data.replies || []; renderCanned(); }
    });
  }

  function renderCanned() {
    var sel = $('canned');
    var keep = sel.value;
    clear(sel);
    var none = el('option', '', t('cannedNone'));
    none.value = '';
    sel.appendChild(none);
    var lang = S.conv ? S.conv.language : '';
    S.canned.forEach(function (c, i) {
      if (c.language && lang && c.language !== lang) { return; }
      var o = el('option', '', c.title + (c.language ? ' (' + c.language.toUpperCase() + ')' : ''));
      o.value = String(i);
      sel.appendChild(o);
    });
    sel.value = keep;
    if (sel.value !== keep) { sel.value = ''; }
    $('canned-group').hidden = sel.options.length < 2;
  }

  function insertCanned() {
    var i = $('canned').value;
    if (i === '') { return; }
    var text = S.canned[Number(i)].text;
    var box = $('reply');
    var start = box.selectionStart || 0, end = box.selectionEnd || 0;
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + text.length;
    $('canned').value = '';
    updateCount();
  }

  function cannedRow(c) {
    var li = el('li', 'canned-row-edit');
    var n = document.querySelectorAll('#canned-rows li').length + Math.floor(Math.random() * 1e6);
    function field(name, input) {
      var id = 'cf-' + name + '-' + n;
      var lab = el('label', '', t(name));
      lab.htmlFor = id;
      input.id = id;
      var wrap = el('div', 'field');
      wrap.appendChild(lab);
      wrap.appendChild(input);
      return wrap;
    }
    var title = el('input');
    title.value = c.title || '';
    title.maxLength = 80;
    title.className = 'c-title';
    var lang = el('select');
    lang.className = 'c-lang';
    [['', t('cannedAny')], ['de', 'DE'], ['en', 'EN']].forEach(function (p) {
      var o = el('option', '', p[1]); o.value = p[0]; lang.appendChild(o);
    });
    lang.value = c.language || '';
    var text = el('textarea');
    text.rows = 3;
    text.value = c.text || '';
    text.maxLength = 2000;
    text.className = 'c-text';
    var rm = el('button', 'btn secondary', t('cannedRemove'));
    rm.type = 'button';
    rm.addEventListener('click', function () {
      var next = li.nextElementSibling || li.previousElementSibling;
      li.parentNode.removeChild(li);
      if (next) { next.querySelector('input').focus(); } else { $('canned-add').focus(); }
    });
    var head = el('div', 'canned-head');
    head.appendChild(field('cannedTitleField', title));
    head.appendChild(field('cannedLangField', lang));
    head.appendChild(rm);
    li.appendChild(head);
    li.appendChild(field('cannedTextField', text));
    return li;
  }

  function openCannedEditor() {
    var rows = $('canned-rows');
    clear(rows);
    $('canned-error').textContent = '';
    S.canned.forEach(function (c) { rows.appendChild(cannedRow(c)); });
    if (!S.canned.length) { rows.appendChild(cannedRow({})); }
    $('canned-dialog').showModal();
    var first = rows.querySelector('input');
    if (first) { first.focus(); }
  }

  function saveCanned(ev) {
    ev.preventDefault();
    var list = [];
    var rows = document.querySelectorAll('#canned-rows > li');
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var c = { title: r.querySelector('.c-title').value.trim(), text: r.querySelector('.c-text').value.trim(), language: r.querySelector('.c-lang').value };
      if (c.title || c.text) { list.push(c); }
    }
    api('PUT', '/canned', { replies: list }).then(function (res) {
      if (!res.ok) { $('canned-error').textContent = res.data && res.data.message ? res.data.message : errorText(res); return; }
      S.canned = res.data.replies || [];
      renderCanned();
      $('canned-dialog').close();
      announce(t('cannedSaved'));
      $('edit-canned').focus();
    });
  }

  // ---- start ----
  function init() {
    applyTexts();
    $('lang').addEventListener('change', function () {
      S.lang = this.value;
      try { localStorage.setItem(LANG_KEY, S.lang); } catch (e) { /* storage off */ }
      applyTexts();
    });
    $('login-form').addEventListener('submit', onLogin);
    $('logout').addEventListener('click', logout);
    $('notify').addEventListener('click', function () { setNotify(!S.notify, true); });
    try { setNotify(localStorage.getItem(NOTIFY_KEY) === '1', false); } catch (e) { /* storage off */ }
    $('claim').addEventListener('click', claim);
    $('giveback').addEventListener('click', giveBack);
    $('transfer').addEventListener('click', transfer);
    $('close').addEventListener('click', closeWith);
    $('forget').addEventListener('click', forget);
    $('send-template').addEventListener('click', sendTemplate);
    $('reply-form').addEventListener('submit', sendReply);
    $('teach-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var page = $('teach-page').value.trim();
      if (!page) { $('action-error').textContent = t('noSuchPage'); $('teach-page').focus(); return; }
      teach(page);
    });
    $('reply').addEventListener('input', updateCount);
    $('reply').addEventListener('input', typing);
    $('reply').addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { sendReply(ev); }
    });
    $('note-form').addEventListener('submit', addNote);
    $('insert-canned').addEventListener('click', insertCanned);
    $('edit-canned').addEventListener('click', openCannedEditor);
    $('canned-add').addEventListener('click', function () {
      var row = cannedRow({});
      $('canned-rows').appendChild(row);
      row.querySelector('input').focus();
    });
    $('canned-cancel').addEventListener('click', function () { $('canned-dialog').close(); $('edit-canned').focus(); });
    $('canned-form').addEventListener('submit', saveCanned);
    setInterval(tickAges, 15000);
    window.addEventListener('pagehide', function () {
      if (!S.me) { return; }
      try {
        fetch(API + '/leave', {
          method: 'POST', keepalive: true, credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': S.me.csrf },
          body: JSON.stringify({ sid: S.sid })
        });
      } catch (e) { /* the page is going away */ }
    });
    api('GET', '/me').then(function (res) {
      if (res.ok) { loggedIn(res.data); return; }
      var d = res.data || {};
      var msg = '';
      if (d.error === 'session_expired') { msg = t('sessionExpired'); }
      else if (d.error === 'sso_rejected') { msg = t('errSSO'); }
      else if (d.error === 'sso_no_account') { msg = t('errSSOAccount'); }
      else if (d.error === 'unavailable' || d.error === 'network') { msg = t('unavailable'); }
      showLogin(msg);
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
