// The root layout: system fonts only (nothing is downloaded at build time).
import './globals.css';

export const metadata = { title: 'chat-realtime demo', description: 'A two-user chat over chat-realtime' };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
