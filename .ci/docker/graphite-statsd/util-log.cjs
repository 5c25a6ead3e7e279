// CI only, preloaded into the graphite-statsd stand-in's StatsD (compose.ci.yml):
// StatsD 0.9.0, the newest release, logs with util.log, which Node 23 removed.
// The stand-in runs StatsD on local/node:26 (the real graphiteapp/graphite-statsd
// image ships a Node of its own), so it gets back the function it calls, in
// Node's old format ("4 Dec 21:17:27 - message").
'use strict';
const util = require('node:util');

if (typeof util.log !== 'function') {
  const months = [
    'Jan',
    'Feb',
    'Mar',
    'Apr',
    'May',
    'Jun',
    'Jul',
    'Aug',
    'Sep',
    'Oct',
    'Nov',
    'Dec',
  ];
  const two = (n) => String(n).padStart(2, '0');
  util.log = (...args) => {
    const d = new Date();
    const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
    console.log(`${d.getDate()} ${months[d.getMonth()]} ${time} - ${util.format(...args)}`);
  };
}
