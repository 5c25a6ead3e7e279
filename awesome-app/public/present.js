// The projector's one script (served from 'self'; the page's CSP allows no other):
// it listens to /present/events and shows each whole snapshot. EventSource
// reconnects by itself; every event carries everything, so nothing is lost.
'use strict';
(function () {
  var $ = function (id) {
    return document.getElementById(id);
  };
  var pct = function (x) {
    return Math.round(x * 100) + '%';
  };
  var cell = function (row, text, cls) {
    var td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  };
  function interval(row, v) {
    var td = cell(row, '', 'present-interval');
    var bar = document.createElement('span');
    bar.className = 'present-bar';
    var fill = document.createElement('span');
    fill.className = 'present-bar-fill';
    fill.style.left = pct(v.interval[0]);
    fill.style.width = pct(v.interval[1] - v.interval[0]);
    bar.appendChild(fill);
    td.appendChild(bar);
    var label = document.createElement('span');
    label.textContent = pct(v.interval[0]) + '–' + pct(v.interval[1]);
    td.appendChild(label);
  }
  function show(s) {
    $('live-count').textContent = String(s.live);
    if (s.greetings === 'away') {
      $('live-phase').textContent =
        'Greetings is away: reconnecting…' + (s.phase ? ' (last seen: phase ' + s.phase + ')' : '');
    } else if (s.phase) {
      $('live-phase').textContent = 'Phase ' + s.phase + ' · ' + s.state;
    } else if (s.greetings === 'connecting') {
      $('live-phase').textContent = 'Connecting to greetings…';
    }
    if (!s.variants) return;
    var body = $('live-variants');
    body.textContent = '';
    s.variants.forEach(function (v) {
      var row = document.createElement('tr');
      row.setAttribute('data-variant', v.name);
      cell(row, v.name, 'present-name');
      cell(row, String(v.shown), 'present-shown');
      cell(row, String(v.liked), 'present-liked');
      cell(row, v.shown > 0 ? pct(v.likeRate) : '–', 'present-rate');
      interval(row, v);
      cell(row, pct(v.pBest), 'present-pbest');
      body.appendChild(row);
    });
    $('live-verdict').textContent = s.best
      ? 'The stopping rule’s verdict: “' + s.best + '” is best.'
      : 'Still learning: no winner yet.';
    var list = $('live-decisions');
    list.textContent = '';
    (s.decisions || []).forEach(function (d) {
      var li = document.createElement('li');
      li.textContent = d.name + ' got “' + d.variant + '” (' + d.strategy + ')';
      list.appendChild(li);
    });
  }
  function connect() {
    var source = new EventSource('/present/events');
    source.addEventListener('experiment', function (e) {
      show(JSON.parse(e.data));
    });
    source.addEventListener('error', function () {
      // A dropped stream is retried by the browser; a refused one (503: this
      // replica is full or shutting down) is not: open a new one shortly.
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    });
  }
  connect();
})();
