/**
 * The editor code the aqara dialogs share. Node-RED serves the package's resources/ folder at
 * resources/@metron/node-red-aqara-cloud/, and every aqara .html loads this file with a <script> tag
 * before its own script runs. Each node set loads it again; the first run defines AqaraEditor and the
 * later ones leave it alone, so the dialogs always share one copy.
 *
 * Limits and lists come from the runtime, which hands them over through registerType's `settings`
 * (RED.settings.aqaraConfigLimits and so on, see src/nodes/editor-settings.ts): each is defined once.
 *
 * Text from users, flows, the routes or the Aqara account reaches the page only through .text(),
 * .val() or attributes: RED._ does not escape what it substitutes, and RED.notify takes a string as HTML.
 */
(function () {
  'use strict';
  if (window.AqaraEditor) return;

  /** The aqara-config node set's catalog, readable from any dialog (each this._ reads only its own). */
  var CONFIG_CATALOG = '@metron/node-red-aqara-cloud/aqara-config:';

  function t(key, substitutions) {
    return RED._(CONFIG_CATALOG + key, substitutions);
  }

  var COLORS = {
    error: 'var(--red-ui-text-color-error, #c00)',
    success: 'var(--red-ui-text-color-success, #3a3)',
  };

  /** Plain decimals only, as the runtime reads them (src/nodes/number-setting.ts). */
  var DECIMAL = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/;

  /** A rule {min, max, fallback, integer} the runtime exported under RED.settings[settingName]. */
  function rule(settingName, field) {
    var limits = RED.settings[settingName];
    if (!limits || !limits[field]) throw new Error(settingName + '.' + field + ' is not in RED.settings');
    return limits[field];
  }

  /**
   * A `validate` for a numeric property. Empty is valid and means the default: nodes saved before the
   * property existed have none. The rule is read when validating, so the runtime's is always the one.
   */
  function numberValidator(settingName, field) {
    return function (value) {
      if (value === undefined || value === null || value === '') return true;
      if (typeof value === 'string' && !DECIMAL.test(value)) return false;
      var limits = rule(settingName, field);
      var number = Number(value);
      return (
        isFinite(number) &&
        number >= limits.min &&
        number <= limits.max &&
        (!limits.integer || Math.floor(number) === number)
      );
    };
  }

  /** The runtime's default for a numeric property, for a new node's `defaults`. */
  function numberDefault(settingName, field) {
    return rule(settingName, field).fallback;
  }

  /** The regions the runtime knows, in its order ('custom' last). */
  function regions() {
    return RED.settings.aqaraConfigRegions || [];
  }

  /** The words for a token state (the manager's state, also in the token-status answer). */
  function stateText(state) {
    switch (state) {
      case 'ready':
        return t('aqara-config.status.ready');
      case 'no_token':
        return t('aqara-config.status.no-token');
      case 'refreshing':
        return t('aqara-config.status.refreshing');
      case 'expired':
        return t('aqara-config.status.expired');
      case 'auth_error':
        return t('aqara-config.status.auth-error');
      case 'error':
        return t('aqara-config.status.error');
      default:
        return String(state || '?');
    }
  }

  /** Red when a person must act, green when calls can go out, no colour while it may settle itself. */
  function stateColor(state) {
    if (state === 'expired' || state === 'auth_error' || state === 'error') return COLORS.error;
    return state === 'ready' ? COLORS.success : '';
  }

  /**
   * What went wrong with a call to an /aqara admin route, as one of REQUEST_PROBLEMS; the dialogs
   * word each in their own catalog under `<prefix><problem>`. Never the raw response, which may be an
   * HTML error page.
   */
  var REQUEST_PROBLEMS = [
    'noAnswer',
    'deployFirst',
    'noPermission',
    'noToken',
    'aqaraFailed',
    'failed',
    'requestFailed',
  ];

  function requestProblem(xhr, textStatus) {
    var body = xhr.responseJSON;
    var code = body && typeof body.code === 'string' ? body.code : '';
    var details = body && typeof body.details === 'string' ? body.details : '';
    if (textStatus === 'timeout' || xhr.status === 0) return 'noAnswer';
    if (xhr.status === 404 && code === 'CONFIG_NOT_FOUND') return 'deployFirst';
    if (xhr.status === 401 || (xhr.status === 403 && code !== 'CROSS_ORIGIN')) return 'noPermission';
    if (code === 'TOKEN_NOT_CONFIGURED') return 'noToken';
    if (xhr.status === 502 && details) return 'aqaraFailed';
    if (details) return 'failed';
    return 'requestFailed';
  }

  /** `translate` is the dialog's this._; the text is for .text() only (details come from the route). */
  function requestErrorText(xhr, textStatus, translate, prefix) {
    var body = xhr.responseJSON;
    var details = body && typeof body.details === 'string' ? body.details : '';
    return translate(prefix + requestProblem(xhr, textStatus), { reason: details, status: xhr.status });
  }

  /** RED.notify with plain text: given a string it would set it as HTML. */
  function notify(text, type) {
    return RED.notify($('<p/>').text(String(text)), type);
  }

  window.AqaraEditor = Object.freeze({
    COLORS: Object.freeze(COLORS),
    REQUEST_PROBLEMS: Object.freeze(REQUEST_PROBLEMS),
    numberValidator: numberValidator,
    numberDefault: numberDefault,
    regions: regions,
    stateText: stateText,
    stateColor: stateColor,
    requestProblem: requestProblem,
    requestErrorText: requestErrorText,
    notify: notify,
  });
})();
