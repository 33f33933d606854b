module.exports = require('../dist/nodes/aqara-device-get.js');
