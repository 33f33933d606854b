module.exports = require('../dist/nodes/aqara-device-out.js');
