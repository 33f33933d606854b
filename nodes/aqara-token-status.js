module.exports = require('../dist/nodes/aqara-token-status.js');
