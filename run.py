from app import create_app, settle_process

app = create_app()
settle_process()
