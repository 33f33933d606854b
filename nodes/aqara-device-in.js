// eslint-disable-next-line @typescript-eslint/no-require-imports -- Node-RED loads this CommonJS entry
module.exports = require('../dist/nodes/aqara-device-in.js');
