(function () {
  'use strict';
  var form = document.querySelector('form[data-launch]');
  if (!form) return;
  var tz = form.querySelector('input[name=tz]');
  if (tz && tz.value === 'Z') {
    var m = -new Date().getTimezoneOffset(), s = m < 0 ? '-' : '+';
    m = Math.abs(m);
    tz.value = s + String(Math.floor(m / 60)).padStart(2, '0') + ':' + String(m % 60).padStart(2, '0');
  }
  function values(name) {
    var out = [];
    form.querySelectorAll('[name="' + CSS.escape(name) + '"]').forEach(function (el) {
      if (el.type === 'checkbox' || el.type === 'radio' ? el.checked : el.value.trim() !== '') out.push(el.value);
    });
    return out;
  }
  // A box the script ticks is announced as a click would be: autosave, the live re-check and the stale preview listen.
  function changed(el) {
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }
  // The app session has ended (a 401 to any of the page's calls): nothing more is sent, the text stays on the page.
  var ended = false;
  // Items behind an enableWhen: the server says which the form enables (Core's one EnableWhen, POST .../note/enabled),
  // a moment after each change; the page came with them right. The script evaluates no condition itself.
  var enabledTimer = null;
  async function enabled() {
    if (ended) return;
    var launch = form.getAttribute('data-launch');
    try {
      var r = await fetch('/s/' + encodeURIComponent(launch) + '/note/enabled' + form.getAttribute('action').replace(/^[^?]*/, ''), { method: 'POST', body: new URLSearchParams(new FormData(form)), credentials: 'same-origin' });
      if (r.status === 401) { sessionEnded(); return; }
      if (!r.ok) return;
      var on = await r.json();
      form.querySelectorAll('[data-ew]').forEach(function (el) {
        var k = el.getAttribute('data-ew');
        if (Object.prototype.hasOwnProperty.call(on, k)) el.hidden = !on[k];
      });
    } catch (e) { /* the next change asks again */ }
  }
  var scheduleEnabled = function () { clearTimeout(enabledTimer); enabledTimer = setTimeout(enabled, 120); };
  function update() {
    var chosen = [];
    form.querySelectorAll('input.treated').forEach(function (box) {
      var g = box.getAttribute('data-group');
      var section = document.getElementById('f-' + g);
      if (section && section.hasAttribute('data-treated-group')) section.hidden = !box.checked;
      document.querySelectorAll('path.nerve[data-nerve="' + g + '"]').forEach(function (p) { p.classList.toggle('selected', box.checked); });
      document.querySelectorAll('li[data-for="' + g + '"]').forEach(function (li) { li.hidden = !box.checked; });
      if (box.checked) chosen.push(box.labels[0].querySelector('.vh').textContent);
    });
    var text = chosen.length ? 'Selected: ' + chosen.join('; ') + '.' : 'No nerve selected.';
    var sel = document.getElementById('nerves-selected');
    if (sel && sel.textContent !== text) sel.textContent = text;
    var map = document.querySelector('svg.nerve-map');
    if (map) map.setAttribute('aria-label', 'Back of the head with the occipital nerves. ' + text);
  }
  form.querySelectorAll('button[data-all]').forEach(function (b) {
    b.hidden = false;
    b.addEventListener('click', function () {
      form.querySelectorAll('input[name="' + CSS.escape(b.getAttribute('data-all')) + '"]').forEach(function (box) {
        var tick = !/no-complications\|/.test(box.value);
        if (box.checked !== tick) { box.checked = tick; changed(box); }
      });
      update();
    });
  });
  // After a check, the messages follow the answers: the form is re-checked with POST /api/notes/$check
  // a moment after each change, and each field's messages are replaced in place.
  var recheckTimer = null, summary = document.getElementById('summary');
  var safe = function (key) { return key.replace(/[^A-Za-z0-9-]/g, '_'); };
  var keyOf = function (expression) {
    var re = /where\(linkId='((?:[^'\\]|\\.)*)'\)(?:\[(\d+)\])?/g, m, suffix = '', key = null;
    while ((m = re.exec(expression || '')) !== null) {
      var id = m[1].replace(/\\(.)/g, '$1');
      key = id + suffix;
      if (m[2] !== undefined) { suffix += '.' + m[2]; key = id + suffix; }
    }
    return key;
  };
  async function recheck() {
    if (ended) return;
    var launch = form.getAttribute('data-launch');
    var sign = document.getElementById('sign');
    var responseUrl = '/s/' + encodeURIComponent(launch) + '/note/response' + form.getAttribute('action').replace(/^[^?]*/, '');
    try {
      var r = await fetch(responseUrl, { method: 'POST', body: new URLSearchParams(new FormData(form)), credentials: 'same-origin' });
      if (r.status === 401) { sessionEnded(); return; }
      if (!r.ok || ended) return;
      var c = await fetch('/api/notes/$check', { method: 'POST', body: await r.text(), credentials: 'same-origin', headers: { 'Content-Type': 'application/fhir+json', 'X-CSRF-Token': form.querySelector('input[name=csrf]').value, 'X-Launch-Id': launch } });
      if (c.status === 401) { sessionEnded(); return; }
      if (!c.ok) return;
      var outcome = JSON.parse(await c.text());
      var errors = 0, warnings = 0, kept = [];
      // Messages the answers' check cannot know (the encounter's) stay while their control is empty, or for good.
      form.querySelectorAll('.msgs.live, .msgs').forEach(function (el) {
        var until = el.getAttribute('data-until');
        if (el.hasAttribute('data-keep') || (until && values(until).length === 0)) { kept.push(el); return; }
        el.remove();
      });
      form.querySelectorAll('[aria-invalid]').forEach(function (el) { el.removeAttribute('aria-invalid'); });
      kept.forEach(function (el) {
        var bad = el.querySelectorAll('.msg.error').length;
        errors += bad; warnings += el.querySelectorAll('.msg.warning').length;
        var control = document.getElementById('f-' + el.id.slice(2));
        if (bad && control && control.tagName === 'SELECT') control.setAttribute('aria-invalid', 'true');
      });
      (outcome.issue || []).forEach(function (issue) {
        if (issue.severity === 'information') return;
        var error = issue.severity === 'error' || issue.severity === 'fatal';
        if (error) errors++; else warnings++;
        var key = keyOf((issue.expression || [])[0]);
        var host = key && (document.getElementById('w-' + safe(key)) || document.getElementById('f-' + safe(key)));
        if (!host) return;
        var box = document.getElementById('m-' + safe(key));
        if (!box) { box = document.createElement('div'); box.className = 'msgs live'; box.id = 'm-' + safe(key); host.appendChild(box); }
        var p = document.createElement('p');
        p.className = 'msg ' + (error ? 'error' : 'warning');
        var strong = document.createElement('strong');
        strong.textContent = error ? 'Error: ' : 'Warning: ';
        p.appendChild(strong);
        p.appendChild(document.createTextNode((issue.details && issue.details.text) || issue.diagnostics || 'Problem'));
        box.appendChild(p);
      });
      if (summary) {
        var h = summary.querySelector('h2');
        if (h) h.textContent = errors > 0 ? errors + (errors === 1 ? ' problem stops' : ' problems stop') + ' signing (updated as you type)' : 'No problem stops signing: check the note again to sign it';
        var list = summary.querySelector('ul');
        if (list) list.hidden = true;
        summary.className = 'summary ' + (errors > 0 ? 'bad' : 'ok');
        summary.setAttribute('role', 'status');
      }
      if (sign && errors > 0) sign.hidden = true;
    } catch (e) { /* the next check round trip says it */ }
  }
  var scheduleRecheck = function () {
    if (!summary || ended) return;
    clearTimeout(recheckTimer);
    recheckTimer = setTimeout(recheck, 700);
  };
  // Autosave: a few seconds after the last change the form is posted as it stands (POST .../note/draft); the server
  // builds the QuestionnaireResponse (the same code as a check) and keeps it with the raw fields as this patient,
  // surgeon and template's draft. Nothing goes to browser storage. What the answer means:
  // no answer, 5xx, 408, 429: retried with a growing pause (and at once when the browser is back online);
  // 401: the session has ended, so saving stops and the page says to re-launch (the typed text stays on the page);
  // 403 (the page's token): reload; other 4xx: its reason, and the next change tries again.
  var saveState = document.getElementById('autosave'), saveTimer = null, dirty = false, saving = false, retryPause = 5000;
  var saveSay = function (text, cls) {
    if (!saveState) return;
    saveState.className = 'autosave ' + (cls || 'muted');
    if (saveState.textContent !== text) saveState.textContent = text;
  };
  var lastSaved = null;
  var endedText = function () {
    return 'Your session has ended: re-launch the app from the patient\'s chart. What you typed stays on this page until then'
      + (lastSaved ? '; changes since the last save at ' + lastSaved + ' are not saved.' : '; changes made on this page are not saved.');
  };
  // Said once, by whichever call met the 401 first; every timer stops.
  function sessionEnded() {
    ended = true; dirty = true;
    clearTimeout(saveTimer); clearTimeout(recheckTimer);
    saveSay(endedText(), 'stopped');
  }
  var reasonOf = function (body) {
    try {
      var o = JSON.parse(body);
      var t = (o.issue || []).map(function (i) { return (i.details && i.details.text) || i.diagnostics; }).filter(Boolean).join(' ');
      if (t) return t;
    } catch (e) { }
    return 'the app could not take the form.';
  };
  var retry = function (pause) {
    dirty = true;
    saveSay('Not saved: will retry', 'retry');
    clearTimeout(saveTimer);
    saveTimer = setTimeout(autosave, pause || retryPause);
    retryPause = Math.min(retryPause * 2, 60000);
  };
  async function autosave() {
    if (ended) return;
    if (saving) { dirty = true; return; }
    saving = true; dirty = false;
    saveSay('Saving\u2026');
    var launch = form.getAttribute('data-launch'), r = null;
    try {
      var draftUrl = '/s/' + encodeURIComponent(launch) + '/note/draft' + form.getAttribute('action').replace(/^[^?]*/, '');
      r = await fetch(draftUrl, { method: 'POST', body: new URLSearchParams(new FormData(form)), credentials: 'same-origin', headers: { 'X-Launch-Id': launch } });
    } catch (e) { r = null; }
    saving = false;
    if (r && r.ok) {
      retryPause = 5000;
      lastSaved = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      saveSay(dirty ? 'Saving\u2026' : 'Saved');
      if (dirty) scheduleSave();
      return;
    }
    if (!r || r.status >= 500 || r.status === 408 || r.status === 429) {
      var after = r && parseInt(r.headers.get('Retry-After') || '', 10);
      retry(after > 0 ? Math.min(after, 300) * 1000 : 0);
      return;
    }
    dirty = true;
    var body = await r.text().catch(function () { return ''; });
    if (r.status === 401) {
      sessionEnded();
    } else if (r.status === 403 && /"security"/.test(body)) {
      saveSay('Not saved: this page is out of date. Copy anything typed since the last save, then reload the page: the last saved draft comes back.', 'stopped');
    } else {
      saveSay('Not saved: ' + reasonOf(body) + ' What you typed stays on this page.', 'stopped');
    }
  }
  var scheduleSave = function () {
    if (ended) return;
    dirty = true;
    // "Saved" means all of the page is saved: it goes quietly at the next change.
    if (saveState && saveState.textContent === 'Saved') saveSay('');
    clearTimeout(saveTimer);
    saveTimer = setTimeout(autosave, 3000);
  };
  form.addEventListener('change', scheduleSave);
  form.addEventListener('input', scheduleSave);
  // What was typed before this script ran (a slow network, a quick surgeon) fired no event here: it is saved too.
  var edited = Array.prototype.some.call(form.elements, function (el) {
    if (el.type === 'hidden' || el.type === 'submit' || el.type === 'button') return false;
    if (el.type === 'checkbox' || el.type === 'radio') return el.checked !== el.defaultChecked;
    if (el.tagName === 'SELECT' && el.multiple) return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    if (el.tagName === 'SELECT') return el.selectedIndex !== Math.max(0, Array.prototype.findIndex.call(el.options, function (o) { return o.defaultSelected; }));
    return el.value !== el.defaultValue;
  });
  if (edited) scheduleSave();
  window.addEventListener('online', function () { if (dirty && !ended) { clearTimeout(saveTimer); autosave(); } });
  window.addEventListener('beforeunload', function (e) { if (dirty) e.preventDefault(); });
  form.addEventListener('submit', function (e) {
    // With the session ended a check would leave this page for an error page: the text stays here instead.
    if (ended) { e.preventDefault(); saveSay(endedText(), 'stopped'); return; }
    dirty = false; clearTimeout(saveTimer);
  });
  form.addEventListener('change', update);
  form.addEventListener('input', update);
  form.addEventListener('change', scheduleEnabled);
  form.addEventListener('input', scheduleEnabled);
  form.addEventListener('change', scheduleRecheck);
  form.addEventListener('input', scheduleRecheck);
  document.querySelectorAll('svg.nerve-map path.hit').forEach(function (p) {
    p.addEventListener('click', function () {
      var g = p.getAttribute('data-nerve');
      var box = form.querySelector('input.treated[data-group="' + g + '"]');
      if (!box) return;
      box.checked = !box.checked;
      changed(box);
      update();
      var section = document.getElementById('f-' + g);
      if (box.checked && section) {
        section.scrollIntoView({ block: 'start' });
        // Its first question once the server has said which of them the tick enables.
        clearTimeout(enabledTimer);
        enabled().then(function () {
          var first = Array.prototype.find.call(section.querySelectorAll('input:not([type=hidden]),select,textarea'), function (el) { return !el.closest('[hidden]'); });
          if (first) first.focus({ preventScroll: true });
        });
      } else {
        box.focus();
      }
    });
  });
  update();
  var sign = document.getElementById('sign');
  if (sign) {
    sign.hidden = false;
    var start = document.getElementById('sign-start'), ask = document.getElementById('sign-confirm');
    var yes = document.getElementById('sign-confirm-yes'), cancel = document.getElementById('sign-cancel');
    var status = document.getElementById('sign-status');
    var say = function (text, cls) { status.className = cls || ''; status.textContent = text; };
    var problem = function (body) {
      try {
        var o = JSON.parse(body);
        if (o.issue) return o.issue.map(function (i) { return (i.details && i.details.text) || i.diagnostics; }).join(' ');
        if (o.reason) return o.reason;
      } catch (e) { }
      return 'The note could not be filed.';
    };
    // The Sign button also submits the form (signing without script); with script the confirm happens here.
    start.addEventListener('click', function (e) { e.preventDefault(); ask.hidden = false; yes.focus(); });
    // The preview is of the answers as checked: once they change, Sign waits for the next check (and its preview).
    var stale = function () {
      if (sign.hidden || status.textContent || yes.disabled) return;
      sign.hidden = true;
      var note = document.getElementById('preview-stale');
      if (note) note.hidden = false;
    };
    form.addEventListener('input', stale);
    form.addEventListener('change', stale);
    var open = function (id) {
      var a = document.createElement('a');
      a.href = sign.getAttribute('data-note-page') + encodeURIComponent(id);
      a.textContent = 'Open the signed note / print';
      a.id = 'sign-open';
      status.appendChild(document.createTextNode(' '));
      status.appendChild(a);
    };
    cancel.addEventListener('click', function () { ask.hidden = true; start.focus(); });
    yes.addEventListener('click', async function () {
      yes.disabled = cancel.disabled = start.disabled = true;
      var launch = form.getAttribute('data-launch');
      try {
        say('Signing: preparing the note\u2026', 'progress');
        var r = await fetch(sign.getAttribute('data-response'), { method: 'POST', body: new URLSearchParams(new FormData(form)), credentials: 'same-origin' });
        var qr = await r.text();
        if (!r.ok) throw new Error(problem(qr));
        say('Signing: sending the note to the EHR\u2026', 'progress');
        var s = await fetch('/api/notes', { method: 'POST', body: qr, credentials: 'same-origin', headers: { 'Content-Type': 'application/fhir+json', 'X-CSRF-Token': form.querySelector('input[name=csrf]').value, 'X-Launch-Id': launch } });
        var body = await s.text();
        if (s.status >= 400 && s.status !== 422) throw new Error(problem(body));
        var note = JSON.parse(body);
        if (note.issue) throw new Error(problem(body));
        var wait = function () { return new Promise(function (ok) { setTimeout(ok, 2000); }); };
        // The session ends while the note is on its way (a 401): the note is safe in the outbox; the page stops asking.
        var lost = false;
        var poll = async function () {
          try {
            var p = await fetch(note.statusUrl, { credentials: 'same-origin', headers: { 'X-Launch-Id': launch } });
            if (p.status === 401) lost = ended = true;
            else if (p.ok) note = JSON.parse(await p.text());
          } catch (e) { }
        };
        var show = function () {
          if (lost && note.status === 'pending') say('Signed and stored: the app keeps sending it to the EHR. Your session has ended, so this page no longer follows it; open the app again from the patient\'s chart to see its status.', 'pending');
          else if (note.status === 'written') say('Signed and filed in the EHR (' + (note.references || []).join(', ') + ').', 'done');
          // note.message: the reason in plain words (note.reason is the outbox's own, for the EHR team).
          else if (note.status === 'failed') say('Signed, but not filed: ' + (note.message || note.reason || 'the EHR gave no reason.') + ' The note is kept; ask your EHR team.', 'failed');
          else if (note.status === 'waiting-for-launch') say('Signed and stored. Open the app again from the patient\'s chart to send it to the EHR.', 'failed');
          // The EHR misbehaves (down, busy): the note is safe in the outbox, so this is news, not an error.
          else if (note.reason) say('Pending: will be sent. The note is signed and stored, but the EHR has not accepted it yet. ' + (note.message || note.reason) + ' This page says so when the EHR accepts it.', 'pending');
          else say('Signed and stored; waiting for the EHR to accept it\u2026', 'progress');
        };
        for (var i = 0; i < 30 && note.status === 'pending' && !note.reason && !lost; i++) {
          show();
          await wait();
          await poll();
        }
        show();
        open(note.id);
        // Still pending: follow it quietly, so the page says when the EHR has it.
        if (note.status === 'pending') (async function () {
          for (var j = 0; j < 300 && note.status === 'pending' && !lost; j++) { await wait(); await poll(); show(); open(note.id); }
        })();
      } catch (e) {
        say('Not signed: ' + e.message, 'failed');
        yes.disabled = cancel.disabled = start.disabled = false;
      }
      status.setAttribute('tabindex', '-1');
      status.focus();
    });
  }
  var target = document.getElementById(form.getAttribute('data-focus') || 'summary');
  if (target) {
    if (target.tagName === 'FIELDSET') target = target.querySelector('input:not([type=hidden]),select,textarea,button') || target;
    target.focus();
  }
})();
