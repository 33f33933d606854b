module.exports = require('../dist/nodes/aqara-device-in.js');
