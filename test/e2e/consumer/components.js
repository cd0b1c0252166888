// The components from the installed package, bundled by the app: a Chinese <agora-call> pre-join screen (its labels
// are a chunk the element loads for `lang="zh"`).
import 'agora-rtc-web/components';

const call = document.createElement('agora-call');
call.setAttribute('lang', 'zh');
call.setAttribute('app-id', '0123456789abcdef0123456789abcdef');
call.setAttribute('channel', 'components');
document.body.append(call);
