# graphite-web settings for the CI stand-in: the parts of graphiteapp/graphite-statsd's
# local_settings.py that matter here, with Debian's graphite-web and the image's paths
# (whisper files in /opt/graphite/storage, the volume compose mounts).
import os

ALLOWED_HOSTS = ['*']
TIME_ZONE = 'Etc/UTC'
SECRET_KEY = os.environ.get('GRAPHITE_SECRET_KEY', 'ci-stand-in')
DEFAULT_CACHE_DURATION = 60
DEFAULT_XFILES_FACTOR = 0
FIND_CACHE_DURATION = 1
CARBONLINK_HOSTS = ['127.0.0.1:7002']
CARBONLINK_TIMEOUT = 1.0
TAGDB = 'graphite.tags.localdatabase.LocalDatabaseTagDB'
FUNCTION_PLUGINS = []

GRAPHITE_ROOT = '/usr/share/graphite-web'
STATIC_ROOT = '/usr/share/graphite-web/static'
STORAGE_DIR = '/opt/graphite/storage'
WHISPER_DIR = '/opt/graphite/storage/whisper'
INDEX_FILE = '/opt/graphite/storage/index'
LOG_DIR = '/var/log/graphite'
DATABASES = {
    'default': {'NAME': '/opt/graphite/storage/graphite.db', 'ENGINE': 'django.db.backends.sqlite3'},
}
