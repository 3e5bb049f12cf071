"""MariaDB and RabbitMQ on 127.0.0.1: a fresh database and vhost per stack.

A database of its own keeps the stack's Magnum tables apart from anything
else on the server; it is dropped by ``down``. A vhost of its own needs
``rabbitmqctl`` (root or the rabbitmq user); without it the stack uses the
default vhost, which is still isolated because the conductor's topic is
the stack's own (see tools.stack.config.Layout.conductor_topic).
"""

import shutil
import subprocess

DB_HOST, DB_PORT, DB_USER = '127.0.0.1', 3306, 'root'
RABBIT = 'guest:guest@127.0.0.1:5672'


def _connect():
    import pymysql
    return pymysql.connect(host=DB_HOST, port=DB_PORT, user=DB_USER,
                           autocommit=True)


def create_database(name):
    """Create the database; returns Magnum's [database] connection URL."""
    with _connect() as db, db.cursor() as cursor:
        cursor.execute('CREATE DATABASE `%s` CHARACTER SET utf8' % name)
    return 'mysql+pymysql://%s@%s:%d/%s?charset=utf8' % (
        DB_USER, DB_HOST, DB_PORT, name)


def drop_database(name):
    try:
        with _connect() as db, db.cursor() as cursor:
            cursor.execute('DROP DATABASE IF EXISTS `%s`' % name)
    except Exception as e:
        return ['could not drop database %s: %s' % (name, e)]
    return []


def _rabbitmqctl(*args):
    ctl = shutil.which('rabbitmqctl')
    if not ctl:
        return False
    result = subprocess.run([ctl, '-q'] + list(args), capture_output=True,
                            stdin=subprocess.DEVNULL, timeout=60)
    return result.returncode == 0


def create_vhost(name):
    """(vhost or '', transport_url): a fresh vhost when rabbitmqctl works."""
    if (_rabbitmqctl('add_vhost', name) and
            _rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*',
                         '.*')):
        return name, 'rabbit://%s/%s' % (RABBIT, name)
    return '', 'rabbit://%s/' % RABBIT


def delete_vhost(name):
    if not _rabbitmqctl('delete_vhost', name):
        return ['could not delete RabbitMQ vhost %s' % name]
    return []


def database_exists(name):
    with _connect() as db, db.cursor() as cursor:
        cursor.execute('SHOW DATABASES LIKE %s', (name,))
        return bool(cursor.fetchall())


def vhost_exists(name):
    ctl = shutil.which('rabbitmqctl')
    result = subprocess.run([ctl, '-q', 'list_vhosts', 'name'],
                            capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=60)
    return name in result.stdout.split()
