module.exports = require('../dist/nodes/aqara-automation.js');
