// pm2 process file. ESM projects need the .cjs extension here.
module.exports = {
  apps: [
    {
      name: 'jarvis',
      script: 'dist/src/main.js',
      args: 'start',
      exec_mode: 'fork',
      instances: 1, // one poller per bot token: a second instance would get 409 Conflict
      wait_ready: true, // Jarvis sends process.send('ready') once its channels are up
      listen_timeout: 30000,
      kill_timeout: 15000, // SIGINT, then SIGKILL after this: longer than JARVIS_SHUTDOWN_TIMEOUT_MS (8 s)
      max_memory_restart: '512M',
      exp_backoff_restart_delay: 200,
      autorestart: true,
      time: true,
      env: { NODE_ENV: 'production' },
    },
  ],
};
