'use strict';
// Draws GET /status every few seconds. Same origin only (the page's CSP is default-src 'self'):
// no inline code, no style attributes; colours in SVG are presentation attributes.
(function () {
  var REFRESH_MS = 5000;
  var WEEK = 7 * 24 * 3600;
  var SVGNS = 'http://www.w3.org/2000/svg';
  // Colour-blind-safe-ish palette; every colour also has its reason name next to it.
  var COLOURS = {
    ok: '#2e7d32', no_peer_cert: '#ef6c00', unknown_ca: '#c62828', expired: '#ad1457',
    not_yet_valid: '#f9a825', revoked: '#4e342e', bad_certificate: '#6d4c41',
    identity_denied: '#6a1b9a', protocol_version: '#00838f', no_shared_cipher: '#283593',
    timeout: '#757575', peer_closed: '#9e9e9e', crl_stale: '#d84315', truncated: '#90a4ae',
    plaintext: '#1565c0', other: '#424242'
  };
  var violations = document.getElementById('csp-violations');
  document.addEventListener('securitypolicyviolation', function (e) {
    violations.hidden = false;
    violations.appendChild(el('li', {}, 'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));
  });

  function el(tag, attrs) {
    var node = document.createElement(tag);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) node.setAttribute(k, attrs[k]);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function append(node, kid) {
    if (kid === null || kid === undefined) return;
    if (Array.isArray(kid)) { kid.forEach(function (k) { append(node, k); }); return; }
    node.appendChild(typeof kid === 'object' ? kid : document.createTextNode(String(kid)));
  }
  function svg(tag, attrs) {
    var node = document.createElementNS(SVGNS, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    for (var i = 2; i < arguments.length; i++) {
      var kid = arguments[i];
      node.appendChild(typeof kid === 'object' ? kid : document.createTextNode(String(kid)));
    }
    return node;
  }
  function replace(id, node) {
    var box = document.getElementById(id);
    box.textContent = '';
    append(box, node);
  }
  function colour(reason) { return COLOURS[reason] || '#616161'; }
  function swatch(reason) {
    return svg('svg', {class: 'swatch', viewBox: '0 0 10 10', 'aria-hidden': 'true'},
      svg('rect', {width: 10, height: 10, fill: colour(reason)}));
  }
  function table(caption, heads, rows, numeric) {
    numeric = numeric || [];
    var head = el('tr', {}, heads.map(function (h, i) {
      return el('th', {scope: 'col', class: numeric.indexOf(i) >= 0 ? 'n' : null}, h);
    }));
    var body = rows.length ? rows.map(function (r) {
      return el('tr', {}, r.map(function (c, i) {
        return el(i === 0 ? 'th' : 'td', {scope: i === 0 ? 'row' : null,
          class: numeric.indexOf(i) >= 0 ? 'n' : null}, c);
      }));
    }) : el('tr', {}, el('td', {colspan: heads.length, class: 'muted'}, 'none'));
    return el('div', {class: 'scroll'}, el('table', {},
      caption ? el('caption', {}, caption) : null, el('thead', {}, head), el('tbody', {}, body)));
  }

  function duration(s) {
    var neg = s < 0; s = Math.abs(Math.round(s));
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    var text = d ? d + 'd ' + h + 'h' : h ? h + 'h ' + m + 'm' : m ? m + 'm ' + s % 60 + 's' : s + 's';
    return neg ? text + ' ago' : 'in ' + text;
  }
  function rate(x) { return x >= 100 ? Math.round(x).toString() : x.toFixed(x >= 10 ? 1 : 2); }
  function bytes(x) {
    var units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'], i = 0;
    while (x >= 1024 && i < units.length - 1) { x /= 1024; i++; }
    return (i ? x.toFixed(1) : Math.round(x)) + ' ' + units[i];
  }
  // Expiry state with a text label, never colour alone.
  function expiry(seconds) {
    if (seconds === null || seconds === undefined) return el('span', {class: 'badge muted'}, 'no date');
    var state = seconds <= 0 ? ['bad', 'expired'] : seconds < WEEK ? ['warn', '< 7 days'] : ['ok', 'ok'];
    return el('span', {class: 'badge ' + state[0], 'data-expires': Date.now() + seconds * 1000},
      state[1] + ' (' + duration(seconds) + ')');
  }
  // The countdowns move between refreshes.
  setInterval(function () {
    document.querySelectorAll('[data-expires]').forEach(function (n) {
      var s = (Number(n.getAttribute('data-expires')) - Date.now()) / 1000;
      var label = s <= 0 ? 'expired' : s < WEEK ? '< 7 days' : 'ok';
      n.className = 'badge ' + (s <= 0 ? 'bad' : s < WEEK ? 'warn' : 'ok');
      n.textContent = label + ' (' + duration(s) + ')';
    });
  }, 1000);

  function renderState(doc) {
    var state = doc.draining ? ['warn', 'draining'] : doc.ready ? ['ok', 'ready'] :
      ['bad', 'not ready: ' + doc.not_ready_reason];
    replace('state', el('span', {class: 'badge ' + state[0]}, state[1]));
    replace('updated', 'updated ' + doc.now);
  }

  function renderIdentity(doc) {
    var id = doc.identity, r = doc.last_reload || {};
    if (!id) return replace('identity', el('p', {}, 'no identity loaded'));
    var reload = [r.at || 'never', ' ', el('span', {class: 'badge ' + (r.result === 'success' ? 'ok' : 'bad')},
      r.result || '-'), r.error ? ' ' + r.error : null];
    var rows = [
      ['SPIFFE ID', id.uri_sans.length ? id.uri_sans.map(function (u) { return el('code', {}, u); }) : '-'],
      ['DNS names', id.dns_sans.length ? id.dns_sans.join(', ') : '-'],
      ['Subject', id.subject], ['Serial', el('code', {id: 'serial'}, id.serial)], ['Source', id.source],
      ['Not after', [id.not_after, ' ', expiry(id.expires_in_seconds)]], ['Last reload', reload]];
    replace('identity', el('dl', {}, rows.map(function (r) { return [el('dt', {}, r[0]), el('dd', {}, r[1])]; })));
  }

  function renderTrust(doc) {
    var anchors = (doc.trust || []).map(function (t) {
      return [t.subject, el('code', {}, t.serial), t.not_after, expiry(t.expires_in_seconds)];
    });
    var crls = (doc.crls || []).map(function (c) {
      return [c.issuer, c.next_update || '-', expiry(c.expires_in_seconds)];
    });
    replace('trust', [table('Trust anchors', ['Subject', 'Serial', 'Not after', 'State'], anchors),
      table('CRLs', ['Issuer', 'Next update', 'State'], crls)]);
  }

  function sum(obj) { var t = 0; for (var k in obj) t += obj[k]; return t; }

  function renderListeners(doc) {
    var rows = doc.listeners.map(function (l) {
      var failed = sum(l.upstream_connect_failures);
      var which = Object.keys(l.upstream_connect_failures).filter(function (k) {
        return l.upstream_connect_failures[k] > 0;
      }).map(function (k) { return k + ' ' + l.upstream_connect_failures[k]; }).join(', ');
      return [l.name, l.direction, [el('code', {}, l.listen), ' \u2192 ', el('code', {}, l.forward)], l.protocol,
        l.active, rate(l.connections_per_second), bytes(l.bytes_per_second.downstream),
        bytes(l.bytes_per_second.upstream), which ? failed + ' (' + which + ')' : failed];
    });
    replace('listeners', table(null, ['Name', 'Direction', 'Listen \u2192 forward', 'Protocol', 'Active',
      'Conn/s', 'Bytes/s from downstream', 'Bytes/s from upstream', 'Upstream connect failures'],
      rows, [4, 5, 6, 7, 8]));
  }

  // Stacked bars: one per bucket, ok at the bottom, failures above it by reason.
  function chart(l, bucketSeconds) {
    var h = l.history, series = h.handshakes, reasons = Object.keys(series);
    reasons.sort(function (a, b) { return a === 'ok' ? -1 : b === 'ok' ? 1 : a < b ? -1 : 1; });
    var n = h.bucket_starts_unix_ms.length, slots = 91, W = 900, H = 160, top = 12, left = 40, bottom = 20;
    var totals = [], max = 1;
    for (var i = 0; i < n; i++) {
      var t = 0;
      reasons.forEach(function (r) { t += series[r][i]; });
      totals.push(t); max = Math.max(max, t);
    }
    var bw = (W - left) / slots, plot = H - top - bottom;
    var title = 'Handshakes of ' + l.name + ' per ' + bucketSeconds + ' s bucket, stacked by reason';
    var g = svg('svg', {class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': title});
    g.appendChild(svg('line', {x1: left, x2: W, y1: top + plot, y2: top + plot}));
    g.appendChild(svg('line', {x1: left, x2: W, y1: top, y2: top}));
    g.appendChild(svg('text', {x: left - 4, y: top + 4, 'text-anchor': 'end'}, max));
    g.appendChild(svg('text', {x: left - 4, y: top + plot, 'text-anchor': 'end'}, 0));
    g.appendChild(svg('text', {x: left, y: H - 4}, '-15 min'));
    g.appendChild(svg('text', {x: W, y: H - 4, 'text-anchor': 'end'}, 'now'));
    for (var b = 0; b < n; b++) {
      var x = left + (slots - n + b) * bw, y = top + plot;
      var when = new Date(h.bucket_starts_unix_ms[b]).toISOString().substr(11, 8);
      var parts = [];
      reasons.forEach(function (r) {
        var v = series[r][b];
        if (!v) return;
        var hgt = v / max * plot;
        y -= hgt;
        parts.push(r + ' ' + v);
        g.appendChild(svg('rect', {x: x.toFixed(1), y: y.toFixed(1), width: Math.max(bw - 1, 1).toFixed(1),
          height: hgt.toFixed(1), fill: colour(r)}, svg('title', {}, when + ' ' + r + ': ' + v)));
      });
    }
    var windowTotals = reasons.map(function (r) {
      var t = 0; series[r].forEach(function (v) { t += v; });
      return [[swatch(r), r], r === 'ok' ? 'success' : 'failure', t];
    });
    return el('figure', {}, el('figcaption', {}, l.name + ' (' + l.direction + ')'), g,
      table('Handshakes of ' + l.name + ' in the window, by reason', ['Reason', 'Result', 'Count'],
        windowTotals, [2]));
  }

  function renderCharts(doc) {
    replace('charts', doc.listeners.map(function (l) { return chart(l, doc.bucket_seconds); }));
  }

  function renderPeers(doc) {
    var rows = [];
    doc.listeners.forEach(function (l) {
      l.peers.forEach(function (p) { rows.push([el('code', {}, p.peer), l.name, p.connections]); });
    });
    replace('peers', table(null, ['Peer identity', 'Listener', 'Connections'], rows, [2]));
  }

  function renderRefusals(doc) {
    var rows = doc.refusals.map(function (r) {
      return [r.time, r.listener, el('code', {}, r.remote), [swatch(r.reason), r.reason],
        r.peer === '-' ? el('span', {class: 'muted'}, 'none presented') : el('code', {}, r.peer)];
    });
    replace('refusals', table('Last ' + doc.refusals.length + ' refused handshakes, newest first',
      ['Time (UTC)', 'Listener', 'Remote', 'Reason', 'Peer identity'], rows));
  }

  function render(doc) {
    renderState(doc); renderIdentity(doc); renderTrust(doc); renderListeners(doc);
    renderCharts(doc); renderPeers(doc); renderRefusals(doc);
    document.body.setAttribute('data-rendered', doc.now);
  }

  function refresh() {
    fetch('/status', {cache: 'no-store'}).then(function (r) {
      if (!r.ok) throw new Error('/status answered ' + r.status);
      return r.json();
    }).then(render).catch(function (e) {
      replace('state', el('span', {class: 'badge bad'}, 'cannot read /status: ' + e.message));
    }).then(function () { setTimeout(refresh, REFRESH_MS); });
  }
  refresh();
})();
