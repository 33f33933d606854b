module.exports = require('../dist/nodes/aqara-config.js');
