# Copy to instance/config.py to override defaults. Never commit the real one.
# SECRET_KEY is generated into instance/secret_key on first run; set it here only to pin it.
# SESSION_COOKIE_SECURE = True   # when served over HTTPS
# MAX_CONTENT_LENGTH = 64 * 1024
# MODEL_FAMILY = "auto"   # auto | dense | factor: the collaborative model `flask index rebuild` fits
