// fedimarks job page: refreshes a running job's progress in place, once
// a second, from /jobs/ID/live (this server's own HTML, escaped there),
// and reloads the page when the job ends. Without it the page refreshes
// itself (a <noscript> meta refresh).
(function () {
  'use strict';
  var live = document.getElementById('live');
  if (!live || live.getAttribute('data-running') !== '1') {
    return;
  }
  var src = live.getAttribute('data-src');
  // A screen reader hears the job's state line at most every 15
  // seconds, not every refresh of the whole progress.
  var announce = document.getElementById('announce');
  var said = 0;
  function tell(inner) {
    var line = inner.querySelector('.state-line');
    var now = Date.now();
    if (announce && line && now - said >= 15000) {
      announce.textContent = line.textContent.replace(/\s+/g, ' ').trim();
      said = now;
    }
  }
  function tick() {
    fetch(src, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) { throw new Error('status ' + r.status); }
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var inner = doc.getElementById('live-inner');
        if (!inner) { throw new Error('no progress in the answer'); }
        if (inner.getAttribute('data-running') !== '1') {
          location.reload();
          return;
        }
        live.replaceChildren(document.adoptNode(inner));
        tell(inner);
        setTimeout(tick, 1000);
      })
      .catch(function () { setTimeout(tick, 5000); });
  }
  setTimeout(tick, 1000);
}());
