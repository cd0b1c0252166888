// The manual's sample web client on the raw API: every step and every event goes to the log.
/* global AgoraRTC */
(function () {
  'use strict';
  var $ = function (id) {
    return document.getElementById(id);
  };
  var client = null;
  var localStream = null;
  var myUid = 0;
  /** The Recording Key this client records with (stopRecording needs the same one). */
  var recordingKey = null;

  function log(text, isError, link) {
    var li = document.createElement('li');
    li.textContent = new Date().toLocaleTimeString() + '  ' + text;
    if (isError) li.className = 'err';
    if (link) {
      var a = document.createElement('a');
      a.href = link;
      a.textContent = 'what this browser lacks';
      li.append(' ', a);
    }
    $('log').prepend(li);
  }
  function fail(what) {
    return function (err) {
      log(
        what + ' failed: ' + (err && err.name ? err.name + ' (' + err.code + '): ' + err.message : err),
        true,
        // CLOSE_BEFORE_OPEN (the manual's "agent missing"): the fallback page says which browsers work.
        err && err.reason === 'CLOSE_BEFORE_OPEN' ? err.agentInstallGuideUrl : null,
      );
    };
  }
  function buttons(joined) {
    $('join').disabled = joined;
    $('leave').disabled = !joined;
    $('publish').disabled = !joined || !!(localStream && localStream.published);
    $('unpublish').disabled = !joined || !(localStream && localStream.published);
    $('audio').disabled = $('video').disabled = !(localStream && localStream.published);
    $('record').disabled = !joined;
  }
  function tile(id, label) {
    var el = $(id);
    if (!el) {
      el = document.createElement('div');
      el.className = 'tile';
      el.id = id;
      el.innerHTML = '<span></span>';
      $('grid').append(el);
    }
    el.querySelector('span').textContent = label;
    return el;
  }

  AgoraRTC.VIDEO_PROFILES.forEach(function (p) {
    var o = new Option(p.name + ' — ' + p.width + 'x' + p.height + ' ' + p.frameRate + 'fps', p.name);
    o.selected = p.name === '480P';
    $('profile').append(o);
  });
  var params = new URLSearchParams(location.search);
  // The static demo App ID the server prints at start-up (server/app.ts DEMO_APP_ID): no key needed.
  var DEMO_APP_ID = '4b7c00314614742441cff558c77ec1e1';
  $('appId').value = params.get('appId') || localStorage.getItem('agora-sample-app-id') || DEMO_APP_ID;
  if (params.get('channel')) $('channel').value = params.get('channel');

  // A Channel Key for apps that need one (or a Recording Key, service "recording"): the server's development key
  // endpoint (off unless enabled).
  function fetchKey(appId, channel, uid, service) {
    return fetch('/api/channel-key', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appId: appId, channel: channel, uid: uid, service: service || 'media' }),
    })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (body) {
        return body && body.key ? body.key : null;
      })
      .catch(function () {
        return null;
      });
  }

  $('setup').addEventListener('submit', function (e) {
    e.preventDefault();
    var appId = $('appId').value.trim();
    var channel = $('channel').value;
    var uid = Number($('uid').value) || 0;
    localStorage.setItem('agora-sample-app-id', appId);
    client = AgoraRTC.createRtcClient();
    client.on('stream-added', function (evt) {
      var stream = evt.stream;
      log('stream-added ' + stream.getId());
      client.subscribe(stream, fail('subscribe'));
    });
    client.on('stream-subscribed', function (evt) {
      var stream = evt.stream;
      log('stream-subscribed ' + stream.getId());
      tile('remote-' + stream.getId(), String(stream.getId()));
      stream.play('remote-' + stream.getId(), fail('play'));
    });
    client.on('stream-removed', function (evt) {
      log('stream-removed ' + evt.stream.getId());
      evt.stream.stop();
      var el = $('remote-' + evt.stream.getId());
      if (el) el.remove();
    });
    client.on('peer-leave', function (evt) {
      log('peer-leave ' + evt.uid);
      var el = $('remote-' + evt.uid);
      if (el) el.remove();
    });
    client.on('peer-mute-audio', function (evt) {
      log('peer-mute-audio ' + evt.msg.uid + ' muted=' + evt.msg.muted);
    });
    client.on('peer-mute-video', function (evt) {
      log('peer-mute-video ' + evt.msg.uid + ' muted=' + evt.msg.muted);
    });
    client.on('recording-state-change', function (evt) {
      var on = evt.status === AgoraRTC.RecordingStatus.RECORDING;
      log(on ? 'recording started by ' + evt.uid : 'recording by ' + evt.uid + ' stopped');
      $('rec-mark').hidden = !on;
      $('rec-mark').textContent = on ? '● REC (uid ' + evt.uid + ')' : '';
      $('record').textContent = on && evt.self ? 'Stop recording' : 'Record';
      if (!on) listRecordings();
    });
    client.on('error', function (evt) {
      log('error ' + evt.msg.reason + ' (' + evt.msg.code + ')', true);
    });
    client.on('channel-key-will-expire', function () {
      log('channel-key-will-expire: renewing');
      fetchKey(appId, channel, myUid).then(function (key) {
        if (key)
          client.renewChannelKey(
            key,
            function () {
              log('channel key renewed');
            },
            fail('renewChannelKey'),
          );
      });
    });
    client.init(
      appId,
      function () {
        log('client initialized');
        var typed = $('key').value.trim();
        (typed ? Promise.resolve(typed) : fetchKey(appId, channel, uid)).then(function (key) {
          client.join(
            key,
            channel,
            uid,
            function (uid) {
              myUid = uid;
              log('client ' + uid + ' joined channel ' + JSON.stringify(channel));
              buttons(true);
              publish();
            },
            fail('join'),
          );
        });
      },
      fail('init'),
    );
  });

  function publish() {
    localStream = AgoraRTC.createStream({ streamID: myUid, local: true, audio: true, video: true });
    localStream.setVideoProfile($('profile').value);
    localStream.init(function () {
      log('local stream initialized');
      tile('local', 'me (' + myUid + ')');
      localStream.play('local');
      publishLocal();
    }, fail('local stream init'));
  }

  function publishLocal() {
    client.publish(
      localStream,
      function () {
        localStream.published = true;
        log('stream published');
        buttons(true);
      },
      fail('publish'),
    );
  }

  $('leave').addEventListener('click', function () {
    client.leave(function () {
      log('client left the channel');
      if (localStream) localStream.close();
      localStream = null;
      document.querySelectorAll('[id^=remote-]').forEach(function (el) {
        el.remove();
      });
      client.close();
      buttons(false);
    }, fail('leave'));
  });
  $('record').addEventListener('click', function () {
    if (recordingKey) {
      client.stopRecording(
        recordingKey,
        function (rec) {
          recordingKey = null;
          log('recording saved: ' + (rec ? Math.round(rec.durationMs / 1000) + ' s' : 'nothing recorded'));
          listRecordings();
        },
        fail('stopRecording'),
      );
      return;
    }
    fetchKey($('appId').value.trim(), $('channel').value, myUid, 'recording').then(function (key) {
      client.startRecording(
        key || '',
        function () {
          recordingKey = key;
        },
        fail('startRecording'),
      );
    });
  });

  function listRecordings() {
    AgoraRTC.recordings.list().then(function (list) {
      $('recordings').replaceChildren();
      list.forEach(function (r) {
        var li = document.createElement('li');
        li.textContent =
          r.channel +
          ', ' +
          new Date(r.startedAt).toLocaleString() +
          ', ' +
          Math.round(r.durationMs / 1000) +
          ' s ';
        var save = document.createElement('button');
        save.textContent = 'Download';
        save.onclick = function () {
          AgoraRTC.recordings.download(r.id).catch(fail('download'));
        };
        var del = document.createElement('button');
        del.textContent = 'Delete';
        del.onclick = function () {
          AgoraRTC.recordings.remove(r.id).then(listRecordings, fail('remove'));
        };
        li.append(save, del);
        $('recordings').append(li);
      });
    }, fail('recordings'));
  }
  listRecordings();

  $('publish').addEventListener('click', function () {
    if (localStream && localStream.published === false) {
      publishLocal();
    } else {
      publish();
    }
  });
  $('unpublish').addEventListener('click', function () {
    client.unpublish(
      localStream,
      function () {
        localStream.published = false;
        log('stream unpublished');
        buttons(true);
      },
      fail('unpublish'),
    );
  });
  $('audio').addEventListener('click', function () {
    var muting = $('audio').textContent.indexOf('Mute') === 0;
    localStream[muting ? 'disableAudio' : 'enableAudio'](function (err) {
      if (err) return fail('audio')(err);
      $('audio').textContent = muting ? 'Unmute audio' : 'Mute audio';
    });
  });
  $('video').addEventListener('click', function () {
    var muting = $('video').textContent.indexOf('Mute') === 0;
    localStream[muting ? 'disableVideo' : 'enableVideo'](function (err) {
      if (err) return fail('video')(err);
      $('video').textContent = muting ? 'Unmute video' : 'Mute video';
    });
  });
})();
