module.exports = require('../dist/nodes/aqara-scene.js');
