# The service, its worker and its migrations: one slim image that runs as an unprivileged user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY service service
COPY moderation moderation
COPY model model
RUN pip wheel --no-cache-dir --wheel-dir /wheels '.[postgres]'

FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin moderation \
    && mkdir -p /data/models \
    && chown -R moderation:moderation /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY training_data training_data
COPY gunicorn.conf.py gunicorn.conf.py
ENV MODERATION_INSTANCE_PATH=/data \
    MODERATION_MODEL_DIR=/data/models \
    MODERATION_TRAINING_DATA=/app/training_data \
    PORT=8000 \
    WEB_CONCURRENCY=2 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER moderation
EXPOSE 8000
CMD ["sh", "-c", "exec gunicorn -c gunicorn.conf.py --workers ${WEB_CONCURRENCY} --bind 0.0.0.0:${PORT} 'service:create_app()'"]
