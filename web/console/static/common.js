/* civibot console — helpers shared by console.js and analytics.js.
   Plain JavaScript, no build step. Text is only ever set as textContent. */
(function () {
  'use strict';

  window.civibotCommon = {
    // pickLang: the saved choice, else the browser's first of de/en, else de.
    pickLang: function (langKey) {
      var saved = null;
      try { saved = localStorage.getItem(langKey); } catch (e) { /* storage off */ }
      var cands = [saved].concat(navigator.languages || [], [navigator.language]);
      for (var i = 0; i < cands.length; i++) {
        var l = (cands[i] || '').toLowerCase().slice(0, 2);
        if (l === 'de' || l === 'en') { return l; }
      }
      return 'de';
    },

    // t translates key into lang (English, then the key, as fallbacks),
    // filling {name} placeholders from vars.
    t: function (text, lang, key, vars) {
      var s = text[lang][key];
      if (s === undefined) { s = text.en[key]; }
      if (s === undefined) { return key; }
      return s.replace(/\{(\w+)\}/g, function (_, k) { return vars && vars[k] !== undefined ? String(vars[k]) : ''; });
    },

    // tn is t for a count: key_one, key_other … by the language's plural
    // rules (Intl.PluralRules), with {n} the count formatted for lang.
    tn: function (text, lang, key, n, vars) {
      var rule = 'other';
      try { rule = new Intl.PluralRules(lang).select(n); } catch (e) { rule = n === 1 ? 'one' : 'other'; }
      var k = key + '_' + rule;
      if (text[lang][k] === undefined && text.en[k] === undefined) { k = key + '_other'; }
      var v = {};
      for (var name in vars || {}) { v[name] = vars[name]; }
      v.n = n.toLocaleString(lang === 'de' ? 'de-DE' : 'en-GB');
      return this.t(text, lang, k, v);
    },

    // plain neutralises text from citizens for display (issue 21.11):
    // control characters other than line breaks and tabs show as U+FFFD,
    // bidi embeddings, overrides and isolates are dropped, so nobody can
    // make a queue excerpt read backwards or hide text.
    plain: function (s) {
      return String(s == null ? '' : s)
        .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '\uFFFD')
        .replace(/[\u202A-\u202E\u2066-\u2069]/g, '');
    },

    // label returns the translation of a prefixed code, or the code itself.
    label: function (text, lang, prefix, code) {
      var k = prefix + (code || '');
      return text[lang][k] !== undefined ? text[lang][k] : (code || '');
    },

    // pageTexts puts the page's static texts (elements with data-t) and
    // its title in lang; t translates a key.
    pageTexts: function (lang, t) {
      document.documentElement.lang = lang;
      document.title = t('docTitle');
      var nodes = document.querySelectorAll('[data-t]');
      for (var i = 0; i < nodes.length; i++) { nodes[i].textContent = t(nodes[i].getAttribute('data-t')); }
      document.getElementById('lang').value = lang;
    },

    // showError puts text into the page's #error (empty: clears it), with
    // a link to the console's login when loginText is given.
    showError: function (text, loginText) {
      var e = document.getElementById('error');
      while (e.firstChild) { e.removeChild(e.firstChild); }
      if (!text) { return; }
      e.appendChild(document.createTextNode(text + ' '));
      if (loginText) {
        var a = this.el('a', '', loginText);
        a.href = '/console/';
        e.appendChild(a);
      }
    },

    // request calls the console's JSON API (path below /console/api) and
    // resolves to {ok, status, data}, also when the network fails. csrf is
    // the session's token, needed for anything but GET.
    request: function (method, path, body, csrf) {
      var opts = { method: method, credentials: 'same-origin', headers: { 'Accept': 'application/json' } };
      if (method !== 'GET') {
        opts.headers['Content-Type'] = 'application/json';
        if (csrf) { opts.headers['X-CSRF-Token'] = csrf; }
        opts.body = JSON.stringify(body || {});
      }
      return fetch('/console/api' + path, opts).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (d) { return { ok: r.ok, status: r.status, data: d }; });
      }, function () { return { ok: false, status: 0, data: { error: 'network' } }; });
    },

    // el makes an element; its text is set as textContent, never as HTML.
    el: function (tag, cls, text) {
      var e = document.createElement(tag);
      if (cls) { e.className = cls; }
      if (text !== undefined && text !== null) { e.textContent = String(text); }
      return e;
    }
  };
})();
