module.exports = require('../dist/nodes/aqara-api.js');
