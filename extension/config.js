// The backend (EBS) the panel talks to. Set to your gateway's public HTTPS address and
// list the panel's origin in the backend's MGM_CORS_ORIGINS.
window.MGM_CONFIG = { apiBase: "https://mgm.example.com" };
