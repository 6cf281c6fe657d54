FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY service service
COPY moderation moderation
COPY model model
COPY training_data training_data
RUN pip install --no-cache-dir '.[postgres]'
ENV MODERATION_INSTANCE_PATH=/data PORT=8000 WEB_CONCURRENCY=2
EXPOSE 8000
CMD ["sh", "-c", "moderation init && exec gunicorn --workers ${WEB_CONCURRENCY} --bind 0.0.0.0:${PORT} --access-logfile - 'service:create_app()'"]
