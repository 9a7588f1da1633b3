import ChatApp from './chat/ChatApp.js';

export default function Page() {
  return <ChatApp />;
}
