// The demo's users and channels (the channels' rooms must exist on the
// server: `make demo` and the e2e test create them).
export const USERS = [
  { id: 'alice', name: 'Alice' },
  { id: 'bob', name: 'Bob' },
  { id: 'carol', name: 'Carol' },
];
export const CHANNELS = ['general', 'random'];
export const nameOf = (id) => USERS.find((u) => u.id === id)?.name ?? id;
