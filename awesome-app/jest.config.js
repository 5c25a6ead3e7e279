module.exports = require('../jest.base.config.js')(__dirname);
