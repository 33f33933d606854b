/**
 * The editor code the aqara dialogs share. Node-RED serves the package's resources/ folder at
 * resources/@metron/node-red-aqara-cloud/, and every aqara .html loads this file with a <script> tag
 * before its own script runs. Each node set loads it again; the first run defines AqaraEditor and the
 * later ones leave it alone, so the dialogs always share one copy.
 *
 * Limits and lists come from the runtime, which hands them over through registerType's `settings`
 * (RED.settings.aqaraConfigLimits and so on, see src/runtime/editor-settings.ts): each is defined once.
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

  /** Plain decimals only, as the runtime reads them (src/runtime/number-setting.ts). */
  var DECIMAL = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/;

  /**
   * A rule {min, max, fallback, integer, least} the runtime exported under RED.settings[settingName];
   * `least`, when there, is the smallest value other than 0 (0 meaning off).
   */
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
        (!limits.integer || Math.floor(number) === number) &&
        (!limits.least || number === 0 || number >= limits.least)
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

  /** RED.notify with plain text: given a string it would set it as HTML. `options`: a type or RED.notify's options. */
  function notify(text, options) {
    return RED.notify($('<p/>').text(String(text)), options);
  }

  /** The config node the dialog has selected, or '' while none (or "add new") is. */
  function selectedConfig() {
    var value = $('#node-input-config').val();
    return value && value !== '_ADD_' ? value : '';
  }

  /**
   * The device picker of a device dialog: a select of the account's devices grouped by room, a reload
   * button and a status line, all with ids `<idPrefix>-device-picker`, `-refresh`, `-picker-status`.
   * Picking a device writes its did into #node-input-device and calls onDevice(device) (undefined
   * for a did no listed device has). Device and room names come from Aqara: attributes and .text() only.
   * Infrared remotes are marked; `only(device)`, when given, keeps the devices it accepts (aqara-ir:
   * remotes only).
   */
  function devicePicker(idPrefix, onDevice, only) {
    var didInput = $('#node-input-device');
    var select = $('#' + idPrefix + '-device-picker');
    var status = $('#' + idPrefix + '-picker-status');
    var devices = {};
    var seq = 0;

    function say(text, isError) {
      status.text(text).css('color', isError ? COLORS.error : '');
    }
    function fill(body) {
      devices = {};
      select.empty();
      $('<option/>').attr('value', '').text(t('aqara-config.picker.choose')).appendTo(select);
      var groups = {};
      (Array.isArray(body.devices) ? body.devices : []).forEach(function (device) {
        if (!device || typeof device.did !== 'string') return;
        if (only && !only(device)) return;
        devices[device.did] = device;
        var room = String(device.positionName || device.positionId || '');
        if (!groups[room]) groups[room] = $('<optgroup/>').attr('label', room).appendTo(select);
        // Short enough to read in the select: the room is the group, the did the tooltip, and only an
        // offline device says its state; remotes say they are remotes.
        var offline = device.state === 1 ? '' : ' (' + t('aqara-config.picker.offline') + ')';
        var remote = isIrRemote(device) ? ' \u00b7 ' + t('aqara-config.picker.irRemote') : '';
        $('<option/>')
          .attr('value', device.did)
          .attr('title', device.did)
          .text(String(device.name) + ' \u2014 ' + String(device.model) + offline + remote)
          .appendTo(groups[room]);
      });
      select.val(devices[didInput.val()] ? didInput.val() : '');
      say(
        t('aqara-config.picker.found', {
          number: Object.keys(devices).length,
          when: new Date(body.listedAt).toLocaleTimeString(),
        }),
      );
      onDevice(devices[didInput.val()]);
    }
    function load(refresh) {
      var id = selectedConfig();
      var mine = ++seq;
      if (!id) return say(t('aqara-config.picker.noConfig'));
      say(t('aqara-config.picker.loading'));
      $.ajax({
        url: 'aqara/devices',
        data: refresh ? { config: id, refresh: 1 } : { config: id },
        dataType: 'json',
        timeout: 60000,
      })
        .done(function (body) {
          if (mine === seq) fill(body || {});
        })
        .fail(function (xhr, textStatus) {
          if (mine === seq) say(requestErrorText(xhr, textStatus, t, 'aqara-config.picker.request.'), true);
        });
    }
    select.on('change', function () {
      var did = select.val();
      if (!did) return;
      didInput.val(did);
      onDevice(devices[did]);
    });
    // Typing a did still works: the resources follow when it names a listed device.
    didInput.on('change', function () {
      onDevice(devices[String(didInput.val()).trim()]);
    });
    $('#' + idPrefix + '-refresh').on('click', function () {
      load(true);
    });
    $('#node-input-config').on('change', function () {
      load(false);
    });
    load(false);
    return {
      /** The name of a listed device, '' for a did the listing lacks, undefined while nothing is listed. */
      nameOf: function (did) {
        if (Object.keys(devices).length === 0) return undefined;
        return devices[did] ? String(devices[did].name) : '';
      },
    };
  }

  /**
   * The device name a device node keeps for its label on Save: the listed name of its did, nothing for
   * a did the account does not list, and the old name when the listing failed and the did stayed.
   */
  function savedDeviceName(picker, node, did) {
    var listed = picker.nameOf(did);
    if (listed !== undefined) return listed;
    return did === node.device ? node.deviceName || '' : '';
  }

  /** Infrared remotes are virtual devices with virtual.ir.* models (a TV, an air conditioner, ...). */
  function isIrRemote(device) {
    return typeof device.model === 'string' && device.model.indexOf('virtual.ir.') === 0;
  }

  /**
   * The resources of a device model, for a resource picker: `status` (an element) says what is going
   * on, done(resources) runs once they are listed. Resource names come from Aqara: .text() only.
   */
  function loadResources(model, status, done) {
    var id = selectedConfig();
    status.css('color', '');
    if (!model || !id) return status.text(t('aqara-config.picker.noDevice'));
    status.text(t('aqara-config.picker.resourcesLoading'));
    $.ajax({ url: 'aqara/resources', data: { config: id, model: model }, dataType: 'json', timeout: 60000 })
      .done(function (body) {
        var list = body && Array.isArray(body.resources) ? body.resources : [];
        status.text(t('aqara-config.picker.resourcesFound', { model: model, number: list.length }));
        done(list);
      })
      .fail(function (xhr, textStatus) {
        status
          .text(requestErrorText(xhr, textStatus, t, 'aqara-config.picker.request.'))
          .css('color', COLORS.error);
      });
  }

  /** "Temperature (0.1.85) -4000…12500, read": name, id, range or enums, access; for .text(). */
  function describeResource(resource) {
    var range = '';
    if (Array.isArray(resource.enums)) range = ' [' + resource.enums.join(', ') + ']';
    else if (resource.minValue !== null || resource.maxValue !== null)
      range = ' ' + resource.minValue + '\u2026' + resource.maxValue;
    var access =
      resource.access === 0
        ? t('aqara-config.picker.read')
        : resource.access === 1
          ? t('aqara-config.picker.write')
          : resource.access === 2
            ? t('aqara-config.picker.readWrite')
            : t('aqara-config.picker.undocumented', { access: String(resource.access) });
    return String(resource.name) + ' (' + String(resource.resourceId) + ')' + range + ', ' + access;
  }

  /**
   * The resources of the picked device as a list of checkboxes (aqara-device-get and aqara-device-in):
   * `chosen` maps a resource id to true while ticked, and is kept across devices and reloads. Returns
   * the function to call with the picked device. Names come from Aqara: .text() only.
   */
  function resourceChecklist(list, status, chosen) {
    return function (device) {
      list.empty();
      loadResources(device ? device.model : '', status, function (resources) {
        list.empty();
        resources.forEach(function (resource) {
          var row = $('<label/>').css({ display: 'block', width: 'auto' }).appendTo(list);
          $('<input type="checkbox"/>')
            .css({ width: 'auto', margin: '0 6px 0 0' })
            .attr('value', resource.resourceId)
            .prop('checked', !!chosen[resource.resourceId])
            .on('change', function () {
              chosen[resource.resourceId] = $(this).prop('checked');
            })
            .appendTo(row);
          $('<span/>').text(describeResource(resource)).appendTo(row);
        });
      });
    };
  }

  /** The ticked ids of a resourceChecklist, or undefined when it lists none (nothing to change). */
  function checkedResources(list) {
    if (list.find('input').length === 0) return undefined;
    var ids = [];
    list.find('input:checked').each(function () {
      ids.push($(this).val());
    });
    return ids;
  }

  /** Aqara documents access 1 (write) and 2 (read/write) as writable. */
  function writable(resource) {
    return resource.access === 1 || resource.access === 2;
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
    devicePicker: devicePicker,
    isIrRemote: isIrRemote,
    loadResources: loadResources,
    describeResource: describeResource,
    resourceChecklist: resourceChecklist,
    checkedResources: checkedResources,
    savedDeviceName: savedDeviceName,
    writable: writable,
  });
})();
