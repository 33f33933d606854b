module.exports = require('../dist/nodes/aqara-ir.js');
